import { ipKey } from "../../model/ip-number.js";

export { ipKey };

/*
 * /etc/resolv.conf (resolv.conf(5)): the DNS servers this computer's resolver asks, a "nameserver ADDRESS"
 * line each (IPv4 or IPv6, an IPv6 one possibly with a %zone); comments start with # or ;. Text in,
 * addresses out, as "family:number" keys (ipKey) so that any way of writing an address compares equal.
 */

/** The nameservers of a resolv.conf's text, as ipKey keys (lines that are not addresses are left out). */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(raw.replace(/[#;].*$/, ""));
    const key = m ? ipKey(m[1] as string) : null;
    if (key !== null && !out.includes(key)) out.push(key);
  }
  return out;
}
