import type { Socket } from "../model/socket.js";

/** What identifies a listener in both of the kernel's views: protocol, family, address, port and socket inode. */
export function listenerKey(s: Socket): string {
  return `${s.proto}|${s.family}|${s.local.address}|${s.local.port}|${s.inode ?? ""}`;
}

/** The listeners that one view of a namespace's socket tables shows and the other does not, by listenerKey. */
export interface ViewGap {
  /** In the netlink dump (what ss reads), not in /proc/net (what netstat reads). */
  notInProc: Map<string, Socket>;
  /** In /proc/net, not in the netlink dump. */
  notInNetlink: Map<string, Socket>;
}

/**
 * Compares the listeners of the two views (the cross-view check of unhide-tcp: a rootkit that hides a
 * port usually filters only one of them). With `previous`, keeps only what was missing then too, so a
 * listener that merely opened or closed between two reads is not reported.
 */
export function crossCheck(netlink: readonly Socket[], proc: readonly Socket[], previous?: ViewGap): ViewGap {
  const inProc = new Map<string, Socket>();
  for (const s of proc) inProc.set(listenerKey(s), s);
  const inNetlink = new Set<string>();
  const notInProc = new Map<string, Socket>();
  for (const s of netlink) {
    const k = listenerKey(s);
    inNetlink.add(k);
    if (!inProc.has(k) && (!previous || previous.notInProc.has(k))) notInProc.set(k, s);
  }
  const notInNetlink = new Map<string, Socket>();
  for (const [k, s] of inProc) if (!inNetlink.has(k) && (!previous || previous.notInNetlink.has(k))) notInNetlink.set(k, s);
  return { notInProc, notInNetlink };
}
