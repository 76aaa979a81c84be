import type { Policy } from "../evaluate/policy.js";
import { InputError } from "../model/errors.js";

/** The largest policy read (1 MiB of text): thousands of rules; more is a mistake or an attack on the parser. */
export const POLICY_MAX_CHARS = 1 << 20;

export type { Policy };

/**
 * Checks and compiles a policy's YAML text; `source` names it in messages. An InputError names the line,
 * the column and the field. The policy code (yaml, zod, ipaddr.js: 150 ms to load) is loaded only here.
 */
export async function parsePolicy(text: string, source: string): Promise<Policy> {
  if (text.length > POLICY_MAX_CHARS) {
    throw new InputError(`Cannot load policy "${source}": it has ${text.length.toLocaleString("en")} characters, more than a policy may (${POLICY_MAX_CHARS.toLocaleString("en")}); is it the right file? Keep only the allow and deny rules in it`);
  }
  const { loadPolicy } = await import("../evaluate/policy.js");
  return loadPolicy(text, source);
}
