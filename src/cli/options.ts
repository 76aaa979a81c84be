import { Option } from "@commander-js/extra-typings";

// The options several commands share, declared once: the same flag, help text and default everywhere.

/** --proc-root DIR: read a captured proc tree instead of /proc. */
export const procRootOption = () => new Option("--proc-root <dir>", "read this proc tree instead of /proc (a captured one)").default("/proc");

/** --policy FILE: the user's allow/deny rules. */
export const policyOption = () => new Option("--policy <file>", "allow/deny rules (YAML); default /etc/portwatch/policy.yaml or ~/.config/portwatch/policy.yaml when present");

/** --state-dir DIR: where the baseline, the history and the webhook queue live. */
export const stateDirOption = () => new Option("--state-dir <dir>", "portwatch's state directory: baseline, history, webhook queue, address lists (default $PORTWATCH_STATE_DIR, else /var/lib/portwatch as root, ~/.local/state/portwatch otherwise)");

/** --baseline FILE: sockets in this baseline are expected. */
export const baselineOption = () => new Option("--baseline <file>", "sockets in this baseline are expected (default: the state directory's baseline, when there is one)");

/** --db FILE: the watcher's history database. */
export const dbOption = (what: string) => new Option("--db <file>", `${what} (default: history.sqlite in the state directory)`);

/** --store URL: the fleet's PostgreSQL instead of the SQLite file. */
export const storeOption = (what: string) => new Option("--store <url>", `${what} in PostgreSQL: postgres://ROLE@HOST/DB?sslmode=verify-full&sslrootcert=FILE (default $PORTWATCH_STORE; no password in it: see --store-password-file)`);

/** --store-password-file FILE: the store's password, kept off the command line. */
export const storePasswordFileOption = () => new Option("--store-password-file <file>", "read the --store password from this file's first line (mode 600); else PGPASSWORD, else PGPASSFILE or ~/.pgpass");

/** --host-id ID: this host's id in the fleet store. */
export const hostIdOption = () => new Option("--host-id <id>", "this host's id in the fleet store (default $PORTWATCH_HOST_ID, else /etc/machine-id)");
