import { NONE, type Family, type Proto, type Socket, type SocketState } from "../../model/socket.js";
import type { Problem } from "../../model/problem.js";

/*
 * /proc/net/{tcp,tcp6,udp,udp6,raw,raw6}, one socket per line after a header (Linux 6.x):
 *
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
 *    0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20853 1 ...
 *
 * tcp6/udp6/raw6 print 32 hex digits per address:
 *    0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A ...
 *
 * Fields (0-based, split on runs of spaces): 0 "sl:", 1 local address:port, 2 remote address:port,
 * 3 state (hex), 4 tx:rx queue, 5 timer, 6 retransmits, 7 uid, 8 timeout, 9 inode, then extras we ignore.
 * The kernel prints each 32-bit word of an address with %08X from the in-memory (network order) bytes
 * read as a native integer, so on little-endian hosts every 4-byte group is byte-reversed.
 * Ports are printed in host order, so "0277" is port 631. For raw sockets the "port" is the IP protocol.
 * TIME_WAIT and request sockets have inode 0: no file holds them any more.
 */

/** Options for `parseProcNet`. */
export interface ParseProcNetOptions {
  proto: Proto;
  family: Family;
  /** Name used in problems, e.g. "/proc/1/net/tcp". */
  source: string;
  /** Network namespace inode to put on every socket. */
  netns: number | null;
  /** Whether the host that printed the table is little-endian (x86, arm64): default true. */
  littleEndian?: boolean;
  /** Line number of the first line of `text` (for text read in chunks): default 1. */
  firstLine?: number;
  /** Whether the first line of `text` is the header: default true when `firstLine` is 1. */
  header?: boolean;
  /** Arrays to append to, so a table read in chunks ends in one list. */
  records?: Socket[];
  problems?: Problem[];
}

/** The result of a parser: what it could read and what it could not. */
export interface ParseResult<T> {
  records: T[];
  problems: Problem[];
}

const TCP_STATES: readonly (SocketState | undefined)[] = [
  undefined, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
  "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
];

/** Maps the kernel's state number to netstat's name; UDP and raw use only ESTABLISHED (1) and CLOSE (7 → UNCONN). */
export function stateName(proto: Proto, code: number): SocketState | null {
  if (proto === "tcp") return TCP_STATES[code] ?? null;
  if (code === 1) return "ESTABLISHED";
  if (code === 7) return "UNCONN";
  return TCP_STATES[code] ?? null;
}

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) { HEX[65 + i] = 10 + i; HEX[97 + i] = 10 + i; }

/** Reads `len` hex digits at `at`; -1 when one is not a hex digit. */
function hexAt(s: string, at: number, len: number): number {
  let n = 0;
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i);
    const d = c < 128 ? (HEX[c] as number) : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

/** Decimal number of the token [at, end); -1 when it is not one. */
function decAt(s: string, at: number, end: number): number {
  if (end <= at || end - at > 15) return -1;
  let n = 0;
  for (let i = at; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Formats 16 address bytes as an RFC 5952 IPv6 string; v4-mapped addresses as ::ffff:a.b.c.d. */
export function formatIpv6(b: Uint8Array): string {
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
  if (mapped) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] as number) << 8) | (b[i + 1] as number));
  // RFC 5952: compress the longest run (first on ties) of two or more zero words.
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestAt < 0) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
}

const addressCache = new Map<string, string>();
const v4Cache = new Map<number, string>();

/** Dotted text of an IPv4 address held as the 32-bit number procfs printed; interned. */
function v4Text(n: number, littleEndian: boolean): string {
  const key = littleEndian ? n : -1 - n;
  let out = v4Cache.get(key);
  if (out === undefined) {
    out = littleEndian
      ? `${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${n >>> 24}`
      : `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
    if (v4Cache.size < 100_000) v4Cache.set(key, out);
  }
  return out;
}
const v6Bytes = new Uint8Array(16);

/** Decodes a procfs hex address ("0100007F" or 32 digits); null when malformed. Results are interned. */
export function decodeProcAddress(hex: string, littleEndian = true): string | null {
  const key = littleEndian ? hex : `BE${hex}`;
  const cached = addressCache.get(key);
  if (cached !== undefined) return cached;
  let out: string | null = null;
  if (hex.length === 8) {
    const n = hexAt(hex, 0, 8);
    if (n >= 0) out = v4Text(n, littleEndian);
  } else if (hex.length === 32) {
    out = "";
    for (let w = 0; w < 4 && out !== null; w++) {
      const n = hexAt(hex, w * 8, 8);
      if (n < 0) { out = null; break; }
      const o = w * 4;
      if (littleEndian) {
        v6Bytes[o] = n & 0xff; v6Bytes[o + 1] = (n >>> 8) & 0xff; v6Bytes[o + 2] = (n >>> 16) & 0xff; v6Bytes[o + 3] = n >>> 24;
      } else {
        v6Bytes[o] = n >>> 24; v6Bytes[o + 1] = (n >>> 16) & 0xff; v6Bytes[o + 2] = (n >>> 8) & 0xff; v6Bytes[o + 3] = n & 0xff;
      }
    }
    if (out !== null) out = formatIpv6(v6Bytes);
  }
  if (out !== null && addressCache.size < 100_000) addressCache.set(key, out);
  return out;
}

/** The inverse of `decodeProcAddress` for dotted IPv4 or (uncompressed or compressed) IPv6 text: used by tests and fixtures. */
export function encodeProcAddress(address: string, littleEndian = true): string {
  const bytes = addressBytes(address);
  const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");
  let out = "";
  for (let w = 0; w < bytes.length; w += 4) {
    const g = bytes.slice(w, w + 4);
    if (littleEndian) g.reverse();
    out += g.map(hex2).join("");
  }
  return out;
}

function addressBytes(address: string): number[] {
  if (!address.includes(":")) return address.split(".").map(Number);
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...(dotted[1] as string).split(".").map(Number));
    text = `${text.slice(0, dotted.index)}0:0`;
  }
  const [head = "", rest] = text.split("::");
  const hw = head === "" ? [] : head.split(":");
  const rw = rest === undefined || rest === "" ? [] : rest.split(":");
  const words = [...hw, ...Array(8 - hw.length - rw.length).fill("0"), ...rw].map((w) => parseInt(w, 16));
  const bytes = words.flatMap((w) => [w >>> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

const ZERO6 = "00000000000000000000000000000000";

function problem(source: string, line: number, text: string, from: number, to: number, reason: string): Problem {
  return { source, line, text: text.slice(from, to).trim(), reason };
}

/** Parses a /proc/net socket table (see the format above) into sockets; a bad line becomes a problem. */
export function parseProcNet(text: string, options: ParseProcNetOptions): ParseResult<Socket> {
  const { proto, family, source, netns } = options;
  const littleEndian = options.littleEndian ?? true;
  const records = options.records ?? [];
  const problems = options.problems ?? [];
  let lineNo = (options.firstLine ?? 1) - 1;
  let skipHeader = options.header ?? lineNo === 0;
  const addrLen = family === 4 ? 8 : 32;
  const zero = ZERO6;
  const starts = new Int32Array(12);
  const ends = new Int32Array(12);
  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = len;
    lineNo++;
    const lineStart = pos;
    pos = eol + 1;
    if (skipHeader) { skipHeader = false; continue; }
    // Split the line into its first 10 fields without allocating substrings.
    let n = 0;
    let i = lineStart;
    while (n < 10) {
      while (i < eol && text.charCodeAt(i) === 32) i++;
      if (i >= eol) break;
      starts[n] = i;
      while (i < eol && text.charCodeAt(i) !== 32) i++;
      ends[n] = i;
      n++;
    }
    if (n === 0) continue; // blank line
    if (n < 10) { problems.push(problem(source, lineNo, text, lineStart, eol, `expected at least 10 fields, found ${n}`)); continue; }
    const l0 = starts[1] as number, r0 = starts[2] as number;
    if ((ends[1] as number) - l0 !== addrLen + 5 || text.charCodeAt(l0 + addrLen) !== 58 ||
        (ends[2] as number) - r0 !== addrLen + 5 || text.charCodeAt(r0 + addrLen) !== 58) {
      problems.push(problem(source, lineNo, text, lineStart, eol, `expected IPv${family} address:port fields of ${addrLen} and 4 hex digits`));
      continue;
    }
    let localAddress: string | null, remoteAddress: string | null, remoteZero: boolean;
    if (family === 4) {
      const ln = hexAt(text, l0, 8), rn = hexAt(text, r0, 8);
      localAddress = ln < 0 ? null : v4Text(ln, littleEndian);
      remoteAddress = rn < 0 ? null : v4Text(rn, littleEndian);
      remoteZero = rn === 0;
    } else {
      const remoteHex = text.slice(r0, r0 + addrLen);
      localAddress = decodeProcAddress(text.slice(l0, l0 + addrLen), littleEndian);
      remoteAddress = decodeProcAddress(remoteHex, littleEndian);
      remoteZero = remoteHex === zero;
    }
    const localPort = hexAt(text, l0 + addrLen + 1, 4);
    const remotePort = hexAt(text, r0 + addrLen + 1, 4);
    const stateCode = (ends[3] as number) - (starts[3] as number) === 2 ? hexAt(text, starts[3] as number, 2) : -1;
    const uid = decAt(text, starts[7] as number, ends[7] as number);
    const inode = decAt(text, starts[9] as number, ends[9] as number);
    if (localAddress === null || remoteAddress === null || localPort < 0 || remotePort < 0) {
      problems.push(problem(source, lineNo, text, lineStart, eol, "address or port is not hexadecimal"));
      continue;
    }
    const state = stateCode < 0 ? null : stateName(proto, stateCode);
    if (state === null) {
      problems.push(problem(source, lineNo, text, lineStart, eol, `unknown socket state "${text.slice(starts[3] as number, ends[3] as number)}"`));
      continue;
    }
    if (uid < 0 || inode < 0) { problems.push(problem(source, lineNo, text, lineStart, eol, "uid or inode is not a decimal number")); continue; }
    records.push({
      proto, family,
      local: { address: localAddress, port: localPort },
      remote: remotePort === 0 && remoteZero ? null : { address: remoteAddress, port: remotePort },
      state, direction: "unknown", exposure: null, netns, inode, uid,
      service: null, process: null, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
    });
  }
  return { records, problems };
}

/**
 * Calls `each` with the local port of every socket line of a /proc/net table (any state), without
 * parsing the rest: the second field's hex digits after its colon. The header and any line that does
 * not have that shape are skipped (the full parser, parseProcNet, reports those).
 */
export function eachProcNetLocalPort(text: string, each: (port: number) => void): void {
  for (let at = 0; at < text.length;) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const sl = text.indexOf(": ", at);
    if (sl >= 0 && sl < end) {
      let i = sl + 2;
      while (i < end && text.charCodeAt(i) === 32) i++;
      const space = text.indexOf(" ", i);
      const colon = text.indexOf(":", i);
      if (colon > i && colon < (space < 0 || space > end ? end : space)) {
        const port = hexAt(text, colon + 1, 4);
        if (port >= 0) each(port);
      }
    }
    at = end + 1;
  }
}
