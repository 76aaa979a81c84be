import { addressProblem } from "../../model/address.js";
import type { Problem } from "../../model/problem.js";
import type { ProcessInfo, SharedHolder } from "../../model/process.js";
import { NONE, type Endpoint, type Family, type Proto, type Socket, type SocketState } from "../../model/socket.js";

/** Maps a service name printed in place of a port ("ipp", "www", "https") back to its number. */
export type ServicePort = (name: string, proto: "tcp" | "udp") => number | null;

/** Options every capture reader takes. */
export interface CaptureOptions {
  /** Name of the capture in problems, e.g. "netstat.txt" or "-" for stdin. */
  source: string;
  /** Service name → port, for captures made without -n (default: numbers only). */
  servicePort?: ServicePort;
}

/** A capture reader: fed one line at a time (so a million-line capture streams), then finished. */
export interface LineReader {
  line(text: string, lineNo: number): void;
  finish(): { records: Socket[]; problems: Problem[]; notes: string[] };
}

/** A socket read from another tool's output, with the defaults of the JSON contract. */
export function captureSocket(proto: Proto, family: Family, local: Endpoint, remote: Endpoint | null, state: SocketState, process: ProcessInfo | null, extra: { inode?: number | null; uid?: number | null; sharedWith?: SharedHolder[] } = {}): Socket {
  return {
    proto, family, local, remote, state, direction: "unknown", exposure: null, netns: null,
    inode: extra.inode ?? null, uid: extra.uid ?? null, service: null, process,
    sharedWith: extra.sharedWith && extra.sharedWith.length ? extra.sharedWith : NONE,
    verdict: "unknown", reasons: NONE, explanation: null,
  };
}

/** `table[key]` for a key the table really has: never an Object.prototype member ("toString", "constructor"). */
export function own<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A process as another tool names it: pid and (maybe cut: `nameCut`) name; the rest unknown. */
export function captureProcess(pid: number, name: string | null, user: string | null = null, uid: number | null = null, nameCut = false): ProcessInfo {
  const p: ProcessInfo = { pid, name, exe: null, exeDeleted: false, cmdline: null, uid, user, containerId: null, netns: null };
  if (nameCut) p.nameCut = true;
  return p;
}

/**
 * The widths at which the tools cut a program's name: a name that long may be the start of a longer
 * one. The kernel keeps 15 characters of a process's name (comm: what ss and lsof print); lsof prints 9
 * of them unless told otherwise (+c); netstat prints "pid/name" in 19 characters, the name taken from
 * the process title (argv[0]: "avahi-daemon: running [host.local]", "sshd: /usr/sbin/sshd -D").
 */
export const CUT_AT = { comm: 15, lsof: 9, netstatPidName: 19 } as const;

/**
 * Hands out one ProcessInfo per (pid, name, user): a server's 10,000 connections share it, so a
 * million-line capture does not hold a million copies of the same process.
 */
export function processPool(): (pid: number, name: string | null, user?: string | null, uid?: number | null, nameCut?: boolean) => ProcessInfo {
  const pool = new Map<string, ProcessInfo>();
  return (pid, name, user = null, uid = null, nameCut = false) => {
    const key = `${pid}\u0000${name ?? ""}\u0000${user ?? ""}\u0000${uid ?? ""}`;
    let p = pool.get(key);
    if (p === undefined) { p = captureProcess(pid, name, user, uid, nameCut); pool.set(key, p); }
    return p;
  };
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Whether text is an IPv4 or IPv6 address (zone and brackets removed first). */
export function isIpAddress(text: string): boolean {
  return IPV4.test(text) || (/^[0-9a-fA-F:.]+$/.test(text) && text.includes(":"));
}

/**
 * Reads the host part of an address as a tool printed it: "*" and "0.0.0.0"/"::" are the wildcard,
 * "localhost" is loopback, "[::1]" loses its brackets, "127.0.0.53%lo" its zone; a (maybe truncated)
 * host name stays a name, kept in `host` too. Anything else (an IPv4 address with a number over 255, a
 * name with a control or bidi character) is the reason it cannot be read (model/address.ts).
 */
export function readHost(text: string, family: Family): { address: string; host?: string; family: Family } | string {
  let t = text;
  const zone = t.indexOf("%"); // inside the brackets ("[fe80::1%9]", Windows) or after them ("[fe80::1]%eth0", ss)
  if (zone > 0) t = t.slice(0, zone);
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  else if (t.startsWith("[") && zone > 0) t = t.slice(1);
  if (t === "*" || t === "") return { address: family === 6 ? "::" : "0.0.0.0", family };
  if (t === "localhost" || t === "localhost.localdomain" || t === "ip6-localhost") return { address: family === 6 ? "::1" : "127.0.0.1", family };
  const bad = addressProblem(t);
  if (bad !== null) return `"${t.length > 60 ? `${t.slice(0, 57)}...` : t}" is ${bad}`;
  if (IPV4.test(t)) return { address: t, family: family === 6 ? 6 : 4 };
  if (t.includes(":") && /^[0-9a-fA-F:.]+$/.test(t)) return { address: t.toLowerCase(), family: 6 };
  return { address: t, host: t, family };
}

/**
 * Reads a port as printed: a number, "*" (none: 0), or a service name mapped back through `servicePort`.
 * null for a number over 65535 (never handed to `servicePort`, which reads digits as a number too) and
 * for a name no service has; whatever `servicePort` answers is checked to be a port.
 */
export function readPort(text: string, proto: Proto, servicePort: ServicePort | undefined): number | null {
  if (text === "*" || text === "") return 0;
  if (/^\d+$/.test(text)) return /^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Number(text) : null;
  const n = proto === "raw" ? servicePort?.(text, "tcp") ?? own(RAW_PROTOCOLS, text) : servicePort?.(text, proto); // netstat prints "ipv6-icmp"
  return n !== undefined && n !== null && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

const RAW_PROTOCOLS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, "ipv6-icmp": 58, "icmpv6": 58, ospf: 89, vrrp: 112, sctp: 132 };

/** netstat/ss/Windows state words → netstat's names. */
export const STATE_WORDS: Record<string, SocketState> = {
  LISTEN: "LISTEN", LISTENING: "LISTEN", ESTABLISHED: "ESTABLISHED", ESTAB: "ESTABLISHED",
  SYN_SENT: "SYN_SENT", "SYN-SENT": "SYN_SENT", SYN_RECV: "SYN_RECV", "SYN-RECV": "SYN_RECV", SYN_RECEIVED: "SYN_RECV", SYN_RCVD: "SYN_RECV",
  FIN_WAIT1: "FIN_WAIT1", "FIN-WAIT-1": "FIN_WAIT1", FIN_WAIT_1: "FIN_WAIT1", FIN_WAIT_2: "FIN_WAIT2", FIN_WAIT2: "FIN_WAIT2", "FIN-WAIT-2": "FIN_WAIT2",
  TIME_WAIT: "TIME_WAIT", "TIME-WAIT": "TIME_WAIT", CLOSE: "CLOSE", CLOSED: "CLOSE", "UNCONN": "UNCONN",
  CLOSE_WAIT: "CLOSE_WAIT", "CLOSE-WAIT": "CLOSE_WAIT", LAST_ACK: "LAST_ACK", "LAST-ACK": "LAST_ACK", CLOSING: "CLOSING",
  NEW_SYN_RECV: "NEW_SYN_RECV", BOUND: "CLOSE", UNKNOWN: "CLOSE",
  // Windows in other languages (German, Spanish, Portuguese, French, Italian)
  "ABHÖREN": "LISTEN", HERGESTELLT: "ESTABLISHED", WARTEND: "TIME_WAIT", SCHLIESSEN_WARTEN: "CLOSE_WAIT", SYN_GESENDET: "SYN_SENT", "SCHLIEßEN_WARTEN": "CLOSE_WAIT",
  ESCUCHANDO: "LISTEN", ESTABLECIDO: "ESTABLISHED", TIEMPO_ESPERA: "TIME_WAIT", CERRAR_ESPERA: "CLOSE_WAIT",
  ESCUTANDO: "LISTEN", ESTABELECIDA: "ESTABLISHED", AGUARDANDO_FECHAMENTO: "CLOSE_WAIT",
  "ÉCOUTE": "LISTEN", "ETABLI": "ESTABLISHED", "ATTENTE_TEMPS": "TIME_WAIT",
  "IN_ASCOLTO": "LISTEN", STABILITO: "ESTABLISHED", "ATTESA_CHIUSURA": "CLOSE_WAIT",
};

/** The state word as netstat names it, or null when it is not one. */
export function readState(word: string): SocketState | null {
  return own(STATE_WORDS, word) ?? own(STATE_WORDS, word.toUpperCase()) ?? null;
}

/** The highest process id Linux can give (PID_MAX_LIMIT on 64 bits, 2^22); BSD and macOS stay below it too. */
export const UNIX_PID_MAX = 4_194_304;
/** Windows process ids are DWORDs. */
export const WINDOWS_PID_MAX = 4_294_967_295;
/** The highest uid (uid_t is 32 bits), as the JSON contract's ids. */
export const ID_MAX = 4_294_967_295;

/**
 * A whole number printed in a capture, from `min` to `max` (a pid, a uid, an inode), or the reason it
 * cannot be one: `pid 0 is not a process id (from 1 to 4194304)`. Digits only; 400 of them are no number.
 */
export function readCount(text: string, what: string, min: number, max: number): number | string {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  return `${what} ${text.length > 20 ? `${text.slice(0, 17)}...` : text} is out of range (from ${min} to ${max})`;
}

/**
 * A problem about one line of a capture. The list it goes into (ProblemList) keeps at most the first
 * KEPT_PROBLEMS, each as a copy of at most 200 characters of the line and 400 of the reason (see
 * keptProblem), so that nothing here is copied for the many problems that are only counted.
 */
export function lineProblem(source: string, line: number, text: string, reason: string): Problem {
  return { source, line, text, reason };
}
