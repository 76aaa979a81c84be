import type { Policy } from "../evaluate/policy.js";

export type { Policy };

/**
 * Checks and compiles a policy's YAML text; `source` names it in messages. An InputError names the line,
 * the column and the field. The policy code (yaml, zod, ipaddr.js: 150 ms to load) is loaded only here.
 */
export async function parsePolicy(text: string, source: string): Promise<Policy> {
  const { loadPolicy } = await import("../evaluate/policy.js");
  return loadPolicy(text, source);
}
