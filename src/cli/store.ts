import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { checkHostId, checkStoreUrl, type PgTarget } from "../audit/store.js";
import { machineId } from "../audit/this-process.js";
import { InputError } from "../model/errors.js";

/** The options of the commands that take a fleet store (watch, history, fleet …). */
export interface StoreFlags {
  store?: string | undefined;
  storePasswordFile?: string | undefined;
  hostId?: string | undefined;
}

/**
 * The PostgreSQL store: --store, else PORTWATCH_STORE; undefined when neither is given (the SQLite file
 * then). The password comes from --store-password-file; else pg reads PGPASSWORD, then PGPASSFILE or
 * ~/.pgpass, as libpq does. `warn` gets the warning for a password in the URL.
 */
export function storeTargetOf(flags: StoreFlags, warn: (message: string) => void): PgTarget | undefined {
  const env = process.env["PORTWATCH_STORE"];
  const url = flags.store ?? (env === "" ? undefined : env);
  if (url === undefined) {
    if (flags.storePasswordFile !== undefined) throw new InputError("Cannot use --store-password-file without --store URL (or PORTWATCH_STORE): it is the store's password");
    return undefined;
  }
  for (const w of checkStoreUrl(url, flags.store !== undefined ? "--store" : "PORTWATCH_STORE")) warn(w);
  return { url, ...(flags.storePasswordFile !== undefined ? { password: readPasswordFile(flags.storePasswordFile) } : {}) };
}

/** The fleet store's password from the first line of `path`: a regular file that only its owner may read (as libpq wants of ~/.pgpass). */
function readPasswordFile(path: string): string {
  let text: string;
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new InputError(`Cannot read the password file "${path}": it is not a regular file`);
      if ((st.mode & 0o077) !== 0) throw new InputError(`Cannot read the password file "${path}": others may read or write it (mode 0${(st.mode & 0o777).toString(8)}); make it private: chmod 600 "${path}"`);
      text = readFileSync(fd, "utf8");
    } finally { closeSync(fd); }
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as { code?: string }).code;
    throw new InputError(`Cannot read the password file "${path}": ${code === "ENOENT" ? "there is no such file" : code === "ELOOP" ? "it is a link (give the file itself)" : code ?? (e as Error).message}`);
  }
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password === "") throw new InputError(`Cannot read the password file "${path}": its first line is empty (put the password there)`);
  return password;
}

/** This host's id: --host-id, else PORTWATCH_HOST_ID, else /etc/machine-id. */
export function hostIdOf(flags: StoreFlags): string {
  if (flags.hostId !== undefined) return checkHostId(flags.hostId, "--host-id");
  const env = process.env["PORTWATCH_HOST_ID"];
  if (env !== undefined && env !== "") return checkHostId(env, "PORTWATCH_HOST_ID");
  const id = machineId();
  if (id === null) throw new InputError("Cannot tell this host's id for the fleet store: /etc/machine-id is missing; give one with --host-id ID or PORTWATCH_HOST_ID");
  return id;
}
