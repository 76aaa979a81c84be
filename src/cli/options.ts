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
