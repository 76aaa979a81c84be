import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parsePolicy, POLICY_MAX_CHARS, type Policy } from "../audit/policy.js";
import { InputError } from "../model/errors.js";

/** The policy files looked for when --policy is not given: the system one, then the user's. */
export function defaultPolicyPaths(): string[] {
  const config = process.env["XDG_CONFIG_HOME"] || join(homedir(), ".config");
  return ["/etc/portwatch/policy.yaml", join(config, "portwatch", "policy.yaml")];
}

/** Loads --policy FILE, or the first default policy file that exists; null when there is none. */
export async function readPolicy(path: string | undefined): Promise<Policy | null> {
  const file = path ?? defaultPolicyPaths().find((p) => existsSync(p));
  if (file === undefined) return null;
  let text: string;
  try { text = readAtMost(file, POLICY_MAX_CHARS); } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`Cannot load policy "${file}": ${(e as { code?: string }).code ?? String(e)}`);
  }
  return parsePolicy(text, file);
}

/** A policy file's text, read no further than `max` bytes (so /dev/zero or a wrong multi-gigabyte file stops at once). */
function readAtMost(file: string, max: number): string {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (let got = -1; n < buf.length && got !== 0; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > max) throw new InputError(`Cannot load policy "${file}": it is larger than a policy may be (more than ${max.toLocaleString("en")} bytes); is it the right file? Keep only the allow and deny rules in it`);
    return buf.toString("utf8", 0, n);
  } finally { closeSync(fd); }
}
