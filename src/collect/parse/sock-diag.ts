import { NONE, type Proto, type Socket } from "../../model/socket.js";
import { formatIpv6, stateName } from "./proc-net.js";

/*
 * The records of the native sock_diag dump (native/portwatch.c): 12 native-endian 32-bit words per socket,
 * taken from the kernel's struct inet_diag_msg:
 *
 *   word 0     family (4 or 6) | IP protocol (6 tcp, 17 udp) << 8 | state << 16 (the numbers /proc/net prints)
 *   word 1     local port | remote port << 16 (host order)
 *   words 2-5  local address: 16 bytes in network order (IPv4 uses the first 4)
 *   words 6-9  remote address
 *   word 10    uid        word 11  inode (0 for TIME_WAIT and request sockets)
 *
 * The same facts as a /proc/net line, without the text: decoding is a few array reads per socket.
 */
export const RECORD_BYTES = 48;

const v4Names = new Map<number, string>();
const v6Names = new Map<string, string>();
const v6Bytes = new Uint8Array(16);

function v4At(bytes: Uint8Array, words: Uint32Array, at: number): string {
  const key = words[at >> 2] as number;
  let out = v4Names.get(key);
  if (out === undefined) {
    out = `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
    if (v4Names.size < 100_000) v4Names.set(key, out);
  }
  return out;
}

function v6At(bytes: Uint8Array, words: Uint32Array, at: number): string {
  const w = at >> 2;
  const a = words[w] as number, b = words[w + 1] as number, c = words[w + 2] as number, d = words[w + 3] as number;
  if ((a | b | c) === 0) {
    if (d === 0) return "::";
    if (bytes[at + 15] === 1 && bytes[at + 12] === 0 && bytes[at + 13] === 0 && bytes[at + 14] === 0) return "::1";
  }
  const key = `${a},${b},${c},${d}`;
  let out = v6Names.get(key);
  if (out === undefined) {
    v6Bytes.set(bytes.subarray(at, at + 16));
    out = formatIpv6(v6Bytes);
    if (v6Names.size < 100_000) v6Names.set(key, out);
  }
  return out;
}

/** Which records to decode: all, only listeners (TCP LISTEN, unconnected UDP bound to a port), or the others. */
export type Pick = "all" | "listening" | "other";

function aligned(records: Uint8Array): Uint8Array {
  return records.byteOffset % 4 === 0 ? records : new Uint8Array(records); // a copy: Uint32Array needs 4-byte alignment
}

/** How many records a dump holds. */
export function recordCount(records: Uint8Array): number {
  return Math.floor(records.length / RECORD_BYTES);
}

/** Calls `each` with the inode of every record (0 for TIME_WAIT and request sockets), without decoding the rest. */
export function eachInode(records: Uint8Array, each: (inode: number) => void): void {
  const r = aligned(records);
  const count = recordCount(r);
  const words = new Uint32Array(r.buffer, r.byteOffset, count * (RECORD_BYTES / 4));
  for (let w = 11; w < words.length; w += RECORD_BYTES / 4) each(words[w] as number);
}

/**
 * Decodes records [from, to) of one dump into sockets appended to `out` (the same objects parseProcNet
 * makes), keeping those `pick` asks for (the same test as classify's isListening). Returns how many
 * records had a state this version does not know (they are skipped and counted).
 */
export function decodeSockDiag(records: Uint8Array, proto: Proto, netns: number | null, out: Socket[], pick: Pick = "all", from = 0, to = Infinity): number {
  records = aligned(records);
  const count = recordCount(records);
  const words = new Uint32Array(records.buffer, records.byteOffset, count * (RECORD_BYTES / 4));
  const bytes = new Uint8Array(records.buffer, records.byteOffset, count * RECORD_BYTES);
  let unknown = 0;
  const end = Math.min(count, to);
  for (let i = Math.max(0, from), w = i * (RECORD_BYTES / 4); i < end; i++, w += RECORD_BYTES / 4) {
    const head = words[w] as number;
    const code = (head >>> 16) & 0xff;
    const ports = words[w + 1] as number;
    const localPort = ports & 0xffff, remotePort = ports >>> 16;
    const connected = remotePort !== 0 || ((words[w + 6] as number) | (words[w + 7] as number) | (words[w + 8] as number) | (words[w + 9] as number)) !== 0;
    if (pick !== "all") {
      const listening = proto === "tcp" ? code === 10 : !connected && localPort !== 0;
      if (listening !== (pick === "listening")) continue;
    }
    const state = stateName(proto, code);
    if (state === null) { unknown++; continue; }
    const family = (head & 0xff) === 4 ? 4 : 6;
    const at = w * 4;
    const local = family === 4 ? v4At(bytes, words, at + 8) : v6At(bytes, words, at + 8);
    const remote: Socket["remote"] = connected ? { address: family === 4 ? v4At(bytes, words, at + 24) : v6At(bytes, words, at + 24), port: remotePort } : null;
    const s: Socket = {
      proto, family,
      local: { address: local, port: localPort },
      remote,
      state, direction: "unknown", exposure: null, netns, inode: words[w + 11] as number, uid: words[w + 10] as number,
      service: null, process: null, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
    };
    // IPV6_V6ONLY (the record's bits 24-31: 2 off, 3 on, 0 not known), kept for IPv6 sockets on "::" only:
    // only they also take IPv4 when it is off
    const v6only = head >>> 24;
    if (family === 6 && v6only >= 2 && local === "::" && !connected) s.v6only = v6only === 3;
    out.push(s);
  }
  return unknown;
}

/** The inode of every record, in order (0 for TIME_WAIT and request sockets). */
export function inodesOf(records: Uint8Array): Uint32Array {
  const r = aligned(records);
  const count = recordCount(r);
  const words = new Uint32Array(r.buffer, r.byteOffset, count * (RECORD_BYTES / 4));
  const out = new Uint32Array(count);
  for (let i = 0, w = 11; i < count; i++, w += RECORD_BYTES / 4) out[i] = words[w] as number;
  return out;
}

/** Calls `each` with the local port and family of every record, in any state, without decoding the rest. */
export function eachLocalPort(records: Uint8Array, each: (port: number, family: 4 | 6) => void): void {
  const r = aligned(records);
  const count = recordCount(r);
  const words = new Uint32Array(r.buffer, r.byteOffset, count * (RECORD_BYTES / 4));
  for (let w = 0; w < words.length; w += RECORD_BYTES / 4) each((words[w + 1] as number) & 0xffff, ((words[w] as number) & 0xff) === 4 ? 4 : 6);
}
