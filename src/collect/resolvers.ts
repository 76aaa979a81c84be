import { parseResolvConf } from "./parse/resolv-conf.js";
import { tryRead } from "./proc-files.js";

/**
 * The DNS servers this computer's resolver asks (/etc/resolv.conf), as ipKey keys (parse/resolv-conf.ts);
 * empty when the file cannot be read. A program's own lookups go to them: DNS sent to one of them is no
 * program going around the resolver (rules-trust.ts, direct-dns).
 */
export function readNameservers(path = "/etc/resolv.conf"): string[] {
  const text = tryRead(path);
  return text === null ? [] : parseResolvConf(text);
}
