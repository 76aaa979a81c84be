import type { Socket } from "../model/socket.js";
import { crossCheck, listenerKey, type ViewGap } from "./cross-view.js";
import { NETLINK_TABLES, type Dumps, type NetlinkRecords } from "./netlink-dumps.js";
import { decodeSockDiag } from "./parse/sock-diag.js";
import { readNamespaceTables } from "./proc-net-tables.js";

// The cross-view check for hidden ports, as the live collection runs it: each namespace read through
// netlink has its listeners compared with /proc/net (collect/cross-view.ts compares; this file reads).

/** How to cross-check one namespace's listeners against /proc/net. */
export interface CrossCheck {
  /** The namespace's /proc/<dir>/net. */
  base: string;
  littleEndian: boolean;
  /** The namespace's netlink dumps again (null when the kernel refused). */
  dumpAgain: () => Dumps | null;
}

/** Reads that must all show the same gap between the two views before a listener counts as hidden. */
const HIDDEN_ROUNDS = 3;
/**
 * Up to this many sockets in a namespace, its listeners are cross-checked (hiddenListeners). The /proc side
 * costs about 0.3 us per TCP socket (the kernel walks them all to reach the IPv6 table's end) and 6 us per
 * UDP socket: 15 ms at 25,000 sockets, 110 ms at 210,000.
 */
export const CROSS_CHECK_UP_TO = 25_000;

/** The listeners among one namespace's netlink records (none for a /proc-text source), added to `out`. */
export function netlinkListeners(records: NetlinkRecords | null, netns: number | null, out: Socket[] = []): Socket[] {
  if (records === null) return out;
  for (const t of NETLINK_TABLES) decodeSockDiag(records[t.name], t.proto, netns, out, "listening");
  return out;
}

/**
 * Cross-checks the listeners of one namespace, `listeners` from index `from` on (its netlink listeners,
 * already decoded): those /proc/net lacks get `hiddenFrom: "proc"`; those only /proc/net shows are added
 * with `hiddenFrom: "netlink"`.
 */
export function markHiddenListeners(listeners: Socket[], from: number, check: CrossCheck, netns: number | null): void {
  let gap: ViewGap | null = null;
  try {
    gap = hiddenListeners(listeners.slice(from), check, netns);
  } catch {
    // The namespace's process went away meanwhile: no cross-check of its views this time.
  }
  if (gap === null) return;
  for (let i = from; i < listeners.length; i++) if (gap.notInProc.has(listenerKey(listeners[i] as Socket))) (listeners[i] as Socket).hiddenFrom = "proc";
  for (const hidden of gap.notInNetlink.values()) listeners.push({ ...hidden, hiddenFrom: "netlink" });
}

/**
 * The cross-view check for hidden ports (see collect/cross-view.ts): listeners that the netlink dump and
 * /proc/net disagree about, in HIDDEN_ROUNDS reads of both, so that a listener that opened or closed
 * between two reads is not reported. `listeners` are the first dump's, already decoded. Costs one read of
 * the TCP tables up to their first connection and of the UDP tables when the views agree, as they do on
 * a healthy host; it runs after the fd walk, so as not to compete with its threads.
 */
function hiddenListeners(listeners: readonly Socket[], check: CrossCheck, netns: number | null): ViewGap | null {
  let gap = crossCheck(listeners, procListeners(check.base, netns, check.littleEndian));
  for (let round = 1; round < HIDDEN_ROUNDS && (gap.notInProc.size > 0 || gap.notInNetlink.size > 0); round++) {
    const parts = check.dumpAgain();
    if (parts === null) return null;
    gap = crossCheck(netlinkListeners(parts, netns), procListeners(check.base, netns, check.littleEndian), gap);
  }
  return gap.notInProc.size > 0 || gap.notInNetlink.size > 0 ? gap : null;
}

/** The listeners of one namespace as /proc/<dir>/net shows them (the view netstat reads). */
function procListeners(base: string, netns: number | null, littleEndian: boolean): Socket[] {
  const out: Socket[] = [];
  readNamespaceTables(base, netns, littleEndian, out, [], true);
  return out;
}
