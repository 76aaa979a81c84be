import type { ChangeEvent, HistoryEntry, Seen } from "../model/change.js";
import type { Socket } from "../model/socket.js";
import { NONE } from "../model/socket.js";
import { VERDICTS, type Verdict } from "../model/verdict.js";

/**
 * What changed while no watcher ran: the first look after a start compared with the last look the
 * history recorded (`last`). Every identity that is new, or whose verdict changed, is a change; of what
 * is gone, only listeners are (connections come and go). Each event carries `unwatchedSince: last.at`.
 */
export function changesWhileNotWatching(last: { at: string; entries: readonly HistoryEntry[] }, seen: ReadonlyMap<string, Seen>, at: string): ChangeEvent[] {
  const known = new Map(last.entries.map((e) => [e.identity, e]));
  const gone: ChangeEvent[] = [], came: ChangeEvent[] = [], changed: ChangeEvent[] = [];
  const mark = { at, unwatchedSince: last.at };
  for (const [id, s] of seen) {
    const was = known.get(id);
    if (was === undefined) came.push({ type: "appeared", identity: id, socket: s.socket, ...mark });
    else if (isVerdict(was.lastVerdict) && was.lastVerdict !== s.verdict) changed.push({ type: "verdict-changed", identity: id, socket: s.socket, was: was.lastVerdict, ...mark });
  }
  for (const [id, e] of known) if (!seen.has(id) && e.direction === "listening") gone.push({ type: "disappeared", identity: id, socket: standIn(e), ...mark });
  const order = (a: ChangeEvent, b: ChangeEvent) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0);
  return [...gone.sort(order), ...came.sort(order), ...changed.sort(order)];
}

const isVerdict = (v: string): v is Verdict => (VERDICTS as readonly string[]).includes(v);

/**
 * A listener that history remembers but that is gone: its protocol, port and last verdict are known;
 * its address and holder are not (the address is "*", the holder is in the identity and history's owners).
 */
function standIn(e: HistoryEntry): Socket {
  return {
    proto: e.proto === "udp" || e.proto === "raw" ? e.proto : "tcp", family: 4, local: { address: "*", port: e.port ?? 0 }, remote: null,
    state: e.proto === "tcp" ? "LISTEN" : "UNCONN", direction: "listening", exposure: null, netns: null, inode: null, uid: null,
    service: null, process: null, sharedWith: NONE, verdict: isVerdict(e.lastVerdict) ? e.lastVerdict : "unknown", reasons: NONE, explanation: null,
  };
}
