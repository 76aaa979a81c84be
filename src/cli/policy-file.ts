import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parsePolicy, type Policy } from "../audit/policy.js";
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
  try { text = readFileSync(file, "utf8"); } catch (e) {
    throw new InputError(`Cannot load policy "${file}": ${(e as { code?: string }).code ?? String(e)}`);
  }
  return parsePolicy(text, file);
}
