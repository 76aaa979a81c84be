import { createRequire } from "node:module";
import type { IfaddrsRow } from "./parse/firewall-merge.js";

/**
 * portwatch's native fast path (native/portwatch.c, built by node-gyp at `npm ci`): the kernel's socket
 * tables through netlink sock_diag (what `ss` uses), the /proc/<pid>/fd walk on POSIX threads, the
 * bind probe of `audit --deep`, and the nftables ruleset over netlink (nftDump, instead of running nft).
 * Optional: without it (no compiler at install, another OS, PORTWATCH_NATIVE=0) the collector reads the
 * /proc/net text tables, walks the fds in JavaScript and runs `nft -j list ruleset`, with the same results;
 * only --deep cannot run (it says so in a warning).
 */
export interface NativeAddon {
  /**
   * Dumps one family/protocol socket table: 48-byte records (see parse/sock-diag.ts); family 0 with
   * protocol 6 dumps the TCP sockets of both families in one walk (the older TCPDIAG_GETSOCK). With `netnsPath`,
   * the dump runs in that network namespace (needs CAP_SYS_ADMIN). Throws an Error whose `code` is the
   * errno name (EPERM, EACCES, ENOENT, EPROTONOSUPPORT, ...). `states` (a bit per TCP state, 1 << 10 for LISTEN,
   * 1 << 7 for unconnected UDP) dumps only sockets in those states; every state without it (an addon built
   * before it ignores it).
   */
  sockDiag(family: 0 | 4 | 6, protocol: 6 | 17, netnsPath?: string, states?: number): { records: Buffer; interrupted: boolean };
  /** Walks /proc/<pid>/fd of `pids` on `threads` threads: [inode, pid] pairs of every socket fd, and each one's fd number (`fds`). */
  scanFds(procRoot: string, pids: Int32Array, threads: number): Promise<{ pairs: Float64Array; fds?: Int32Array; count: number; denied: number; scanned: number }>;
  /**
   * The fd tables as a third view (collect/third-view.ts): for each [inode, pid, fd] triple (sorted by pid;
   * fd -1 when the walk did not tell it: that fd table is read again), the fd of `pid` that holds socket
   * `inode`, with its protocol as sockfs names it; for TCP, UDP and raw
   * sockets, a copy of the fd (`dup`, pidfd_getfd), the socket's facts as one sock_diag record and its
   * network namespace (SIOCGSKNS: `netns`, and `nsfd`, a file of it). Close every dup and nsfd with closeFds.
   * Absent from addons built before it (and from test doubles).
   */
  inspectHeld?(procRoot: string, triples: Float64Array): HeldSocket[];
  /** The facts of a socket again, read from a copy inspectHeld made; null when it is no TCP, UDP or raw socket any more. */
  describeHeld?(dup: number): { record: Uint8Array; protocol: number } | null;
  /** Closes the copies inspectHeld handed out. */
  closeFds?(fds: readonly number[]): void;
  /**
   * The bind probe (portwatch audit --deep): tries to bind each port (1..65535, or `ports`) of `protocol`
   * and `family` with SO_REUSEADDR off (IPV6_V6ONLY on for IPv6), on the wildcard address and, when that
   * fails with EADDRINUSE, on loopback, on `threads` POSIX threads; each bound socket is closed at once.
   * With `netnsPath` the threads join that network namespace first (needs CAP_SYS_ADMIN). `inUse`: port |
   * flags << 16 (1: the wildcard bind failed with EADDRINUSE, 2: the loopback bind did); `errors`: port |
   * errno << 16 | (1 for the loopback bind) << 31, for any other failure. Absent from an addon built before it.
   */
  bindProbe?(protocol: 6 | 17, family: 4 | 6, netnsPath: string | null, threads: number, ports?: Uint16Array): Promise<{ inUse: Uint32Array; errors: Uint32Array }>;
  /** The ids from 1 to `max` that answer kill(id, 0) (processes and threads; `--deep`). */
  liveTids?(max: number): Int32Array;
  /**
   * The nftables ruleset's generation id (NFT_MSG_GETGEN), of the namespace `netnsPath` names or our own:
   * every change of the nf_tables ruleset moves it. Throws an Error whose `code` is the errno name. Absent from
   * an addon built before it.
   */
  nftGenId?(netnsPath?: string): number;
  /**
   * The nf_tables ruleset of the namespace `netnsPath` names (or our own) as the kernel dumps it: every NEWTABLE,
   * NEWCHAIN, NEWRULE, NEWSET and NEWSETELEM message back to back (`messages`, decoded by parse/nft-netlink.ts), the
   * namespace's interfaces as [index, name], its interfaces and addresses as getifaddrs gives them (`addrs`: [name,
   * IFF_* flags, family 0|4|6, address, prefix length]; null when getifaddrs failed), and the generation the dump
   * is of (read again while it moved). Rejects
   * with an Error whose `code` is the errno name. Absent from an addon built before it.
   */
  nftDump?(netnsPath?: string): Promise<{ messages: Buffer; links: [number, string][]; gen: number; addrs?: IfaddrsRow[] | null }>;
}

/** A socket a process holds, as inspectHeld read it (see NativeAddon.inspectHeld). */
export interface HeldSocket {
  inode: number;
  pid: number;
  /** The fd number in the holder. */
  fd: number;
  /** sockfs's name of its protocol: "TCP", "UDPv6", "RAW", "UNIX-STREAM", "NETLINK", ... */
  name: string;
  /** For TCP, UDP and raw sockets: portwatch's copy of the fd, and what it says. */
  dup?: number;
  protocol?: number;
  record?: Uint8Array;
  /** Its network namespace's inode, and a file of that namespace (SIOCGSKNS). */
  netns?: number;
  nsfd?: number;
  /** Why no copy could be made (EPERM: no right to ptrace the holder; ENOSYS: kernel before 5.6). */
  error?: string;
}

let loaded: NativeAddon | null | undefined;

/** The addon, or null when it was not built, cannot load here, or PORTWATCH_NATIVE=0 turns it off. */
export function nativeAddon(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform !== "linux" || process.env["PORTWATCH_NATIVE"] === "0") return loaded;
  try {
    // src/collect/native.ts and dist/collect/native.js are both two levels below the package root.
    const addon = createRequire(import.meta.url)("../../build/Release/portwatch.node") as Partial<NativeAddon>;
    if (typeof addon.sockDiag === "function" && typeof addon.scanFds === "function") loaded = addon as NativeAddon;
  } catch {
    // Not built (no compiler when installed): the /proc text path does the same job, slower.
  }
  return loaded;
}
