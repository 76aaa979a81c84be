/*
 * IP addresses as numbers, for the prefix index (prefix-index.ts) and the list parsers (parse-list.ts).
 * An IPv4 address is an unsigned 32-bit number; an IPv6 address is 32 lower-case hex digits (so a prefix
 * of it is a slice of text, keyed in a Map without BigInt). An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is its IPv4 address: the kernel shows IPv4 peers of IPv6 sockets so.
 * Written here rather than with ipaddr.js: an audit parses an address per connection, and ipaddr.js
 * would be one more module to load on the audit's path (a test holds both to the same answers).
 */

/** An address: IPv4 as a number, IPv6 as 32 hex digits. */
export type IpValue = { family: 4; v4: number } | { family: 6; hex: string };

/** A network: its address with the host bits cleared, and its prefix length. */
export type Network = { family: 4; v4: number; len: number } | { family: 6; hex: string; len: number };

/** A strict dotted quad (no leading zeros, each number 0-255) as an unsigned number; null otherwise. */
export function parseV4(text: string): number | null {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return null; // a leading zero: some tools read it as octal
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else return null;
  }
  if (digits === 0 || dots !== 3) return null;
  return value * 256 + part;
}

const HEX4 = /^[0-9a-fA-F]{1,4}$/;

/** An IPv6 address (with ::, and an IPv4 tail) as 32 lower-case hex digits; null otherwise (a zone "%eth0" too). */
export function parseV6(text: string): string | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): string[] | null => {
    if (s === "") return [];
    const out: string[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseV4(p);
        if (v4 === null) return null;
        out.push((v4 >>> 16).toString(16), (v4 & 0xffff).toString(16));
      } else if (HEX4.test(p)) out.push(p.toLowerCase());
      else return null;
    }
    return out;
  };
  const head = groups(halves[0] as string);
  if (head === null) return null;
  let all: string[];
  if (halves.length === 2) {
    const tail = groups(halves[1] as string);
    if (tail === null || head.length + tail.length > 7) return null;
    all = [...head, ...new Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
  } else {
    if (head.length !== 8) return null;
    all = head;
  }
  // An IPv4 tail is only allowed as the last 32 bits, never before "::".
  if (halves.length === 2 && (halves[0] as string).includes(".")) return null;
  let hex = "";
  for (const g of all) hex += g.padStart(4, "0");
  return hex;
}

const MAPPED = "00000000000000000000ffff";

/** An IPv4 or IPv6 address; an IPv4-mapped IPv6 address gives its IPv4 address. */
export function parseIp(text: string): IpValue | null {
  if (!text.includes(":")) {
    const v4 = parseV4(text);
    return v4 === null ? null : { family: 4, v4 };
  }
  const hex = parseV6(text);
  if (hex === null) return null;
  if (hex.startsWith(MAPPED)) return { family: 4, v4: parseInt(hex.slice(24), 16) };
  return { family: 6, hex };
}

/** The mask of the first `len` bits of an IPv4 address (len 0 to 32). */
export const maskV4 = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** The first `len` bits of an IPv6 address as text: the whole hex digits, then the last partial digit masked. */
export function prefixV6(hex: string, len: number): string {
  const whole = len >> 2;
  const rest = len & 3;
  if (rest === 0) return hex.slice(0, whole);
  const digit = parseInt(hex.charAt(whole), 16) & ((0xf << (4 - rest)) & 0xf);
  return hex.slice(0, whole) + digit.toString(16);
}

/** An IPv4 number as a dotted quad. */
export const v4Text = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;

/** An IPv6 prefix (hex digits) and length as a CIDR, in the short form ("2001:db8::/32"). */
export function v6Text(prefix: string, len: number): string {
  const full = prefix.padEnd(32, "0");
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(full.slice(i, i + 4), 16).toString(16));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== "0") { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const text = best < 0 ? groups.join(":") : `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
  return `${text}/${len}`;
}

/** A network in words: "1.4.0.0/17", "203.0.113.7" (a /32 is the address), "2001:db8::/32". */
export function networkText(n: Network): string {
  if (n.family === 4) return n.len === 32 ? v4Text(n.v4) : `${v4Text(n.v4)}/${n.len}`;
  const t = v6Text(prefixV6(n.hex, n.len), n.len);
  return n.len === 128 ? t.slice(0, -4) : t;
}

/**
 * An address or CIDR ("1.2.3.4", "1.4.0.0/17", "2001:db8::/32", "::ffff:1.2.3.0/120"), host bits
 * cleared; or why not, in words. An IPv4-mapped network is its IPv4 network.
 */
export function parseNetwork(text: string): Network | string {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addressText);
  if (ip === null) return addressText.includes(":") ? "not an IPv6 address" : "not an IPv4 address (four numbers from 0 to 255, no leading zeros)";
  const mapped = ip.family === 4 && addressText.includes(":");
  const max = ip.family === 4 && !mapped ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return `not a prefix length (a whole number from 0 to ${max})`;
    len = Number(lenText);
  }
  if (mapped) {
    if (len < 96) return "an IPv4-mapped network shorter than /96 reaches outside the mapped range";
    len -= 96;
  }
  if (len === 0) return "a /0 network is every address: a list never means that";
  if (ip.family === 4) return { family: 4, v4: (ip.v4 & maskV4(len)) >>> 0, len };
  return { family: 6, hex: prefixV6(ip.hex, len).padEnd(32, "0"), len };
}
