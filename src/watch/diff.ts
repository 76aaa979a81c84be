import type { ChangeEvent, Seen } from "../model/change.js";
import type { Socket } from "../model/socket.js";
import { compareVerdicts } from "../model/verdict.js";

export type { ChangeEvent, Seen };

/**
 * Groups sockets by identity; the worst verdict of the group stands for it. `counts`, when given, receives how
 * many sockets each identity has; `out`, when given, is added to (a look handed out in batches).
 */
export function byIdentity(sockets: readonly Socket[], identity: (s: Socket) => string, counts?: Map<string, number>, out = new Map<string, Seen>()): Map<string, Seen> {
  for (const s of sockets) {
    const id = identity(s);
    if (counts) counts.set(id, (counts.get(id) ?? 0) + 1);
    const had = out.get(id);
    if (had === undefined || compareVerdicts(s.verdict, had.verdict) > 0) {
      out.set(id, s.reach === undefined ? { identity: id, verdict: s.verdict, socket: s } : { identity: id, verdict: s.verdict, socket: s, reach: s.reach.kind });
    }
  }
  return out;
}

/**
 * What changed from `before` to `after`, by identity: a restarted daemon (new pid, same program, port and
 * user) and a client's new ephemeral port are no change. A listener whose verdict stayed but whose reach
 * moved (a firewall change: open → blocked) is "reach-changed"; a reach known on one side only (the firewall
 * could not be read) is no change. Events come in a stable order: disappeared, appeared, verdict-changed and
 * reach-changed, each sorted by identity.
 */
export function diff(before: ReadonlyMap<string, Seen>, after: ReadonlyMap<string, Seen>, at: string): ChangeEvent[] {
  const gone: ChangeEvent[] = [], came: ChangeEvent[] = [], changed: ChangeEvent[] = [];
  for (const [id, seen] of before) if (!after.has(id)) gone.push({ type: "disappeared", identity: id, socket: seen.socket, at });
  for (const [id, seen] of after) {
    const was = before.get(id);
    if (was === undefined) came.push({ type: "appeared", identity: id, socket: seen.socket, at });
    else if (was.verdict !== seen.verdict) changed.push({ type: "verdict-changed", identity: id, socket: seen.socket, was: was.verdict, at });
    else if (was.reach !== undefined && seen.reach !== undefined && was.reach !== seen.reach) changed.push({ type: "reach-changed", identity: id, socket: seen.socket, wasReach: was.reach, at });
  }
  const order = (a: ChangeEvent, b: ChangeEvent) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0);
  return [...gone.sort(order), ...came.sort(order), ...changed.sort(order)];
}
