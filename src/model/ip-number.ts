import type { AddressRange } from "./firewall.js";

/** An IPv4 or IPv6 address as a number and its family; null when the text is neither. "::ffff:1.2.3.4" is IPv4. */
export function ipNumber(text: string): { family: 4 | 6; value: bigint } | null {
  if (text.startsWith("::ffff:") && text.includes(".")) return ipNumber(text.slice(7));
  if (!text.includes(":")) {
    const parts = text.split(".");
    if (parts.length !== 4) return null;
    let v = 0n;
    for (const p of parts) {
      if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
      v = (v << 8n) | BigInt(p);
    }
    return { family: 4, value: v };
  }
  const zone = text.indexOf("%");
  let t = zone >= 0 ? text.slice(0, zone) : text;
  let tail: bigint[] = [];
  const lastColon = t.lastIndexOf(":");
  if (t.slice(lastColon + 1).includes(".")) {   // embedded IPv4 at the end
    const v4 = ipNumber(t.slice(lastColon + 1));
    if (v4 === null || v4.family !== 4) return null;
    tail = [v4.value >> 16n, v4.value & 0xffffn];
    t = t.slice(0, lastColon + 1) + "0";
    t = t.endsWith("::0") ? t.slice(0, -1) : t.slice(0, -2);
  }
  const halves = t.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): bigint[] | null => {
    if (s === "") return [];
    const out: bigint[] = [];
    for (const g of s.split(":")) { if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null; out.push(BigInt(`0x${g}`)); }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return null;
  const all = [...head, ...Array<bigint>(8 - known).fill(0n), ...rest, ...tail];
  let v = 0n;
  for (const g of all) v = (v << 16n) | g;
  return { family: 6, value: v };
}

/** An address, a prefix ("10.0.0.0/8") or a range ("10.0.0.1-10.0.0.9") as a range; null when not one. */
export function addressRange(text: string): AddressRange | null {
  const dash = text.indexOf("-");
  if (dash > 0) {
    const a = ipNumber(text.slice(0, dash)), b = ipNumber(text.slice(dash + 1));
    if (a === null || b === null || a.family !== b.family) return null;
    return { family: a.family, first: a.value, last: b.value, text };
  }
  const slash = text.indexOf("/");
  const ip = ipNumber(slash >= 0 ? text.slice(0, slash) : text);
  if (ip === null) return null;
  const bits = ip.family === 4 ? 32 : 128;
  let len = bits;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (/^\d+$/.test(l)) len = Number(l);
    else { const mask = ipNumber(l); if (mask === null || mask.family !== ip.family) return null; len = prefixLength(mask.value, bits); }
    if (len < 0 || len > bits) return null;
  }
  const host = (1n << BigInt(bits - len)) - 1n;
  const first = ip.value & ~host;
  return { family: ip.family, first, last: first | host, text: len === bits ? text.replace(/\/\d+$/, "") : text };
}

/** The number of leading one bits of a mask (iptables-save prints a non-CIDR mask as 255.255.0.255: -1). */
function prefixLength(mask: bigint, bits: number): number {
  let n = 0;
  for (let i = bits - 1; i >= 0 && (mask >> BigInt(i)) & 1n; i--) n++;
  const rest = mask & ((1n << BigInt(bits - n)) - 1n);
  return rest === 0n ? n : -1;
}

/** The address text of a number (IPv4 dotted, IPv6 in full groups with the longest run of zeros shortened). */
export function ipText(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  const s = g.join(":");
  const runs = s.match(/(?:^|:)0(?::0)+(?::|$)/g);
  if (runs === null) return s;
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a));
  return s.replace(longest, "::");
}

/** An address as a key that is the same however it is written ("2001:db8::1", "2001:0db8:0:0:0:0:0:1", "::ffff:1.2.3.4" and "1.2.3.4", a %zone or not); null when it is none. */
export function ipKey(address: string): string | null {
  const n = ipNumber(address.replace(/%.*$/, "").toLowerCase());
  return n === null ? null : `${n.family}:${n.value}`;
}
