import { identityOf } from "../evaluate/identity.js";
import type { ChangeEvent } from "../model/change.js";
import { baselineOf, type Baseline } from "../watch/baseline-store.js";
import { byIdentity, diff } from "../watch/diff.js";
import type { HostLook } from "./auditor.js";

export { loadBaseline, saveBaseline, type Baseline } from "../watch/baseline-store.js";

/** A baseline of one look: its identities (program, port, user; never a pid or a client port). */
export function baselineFromLook(look: Pick<HostLook, "sockets" | "hostname" | "hostNetns">, savedAt: string): { baseline: Baseline; identities: number } {
  const seen = byIdentity(look.sockets, (s) => identityOf(s, look.hostNetns));
  return { baseline: baselineOf(seen, look.hostname, savedAt), identities: seen.size };
}

/** What appeared, disappeared or changed verdict since `baseline`, in diff's stable order. */
export function diffWithBaseline(baseline: Baseline, look: Pick<HostLook, "sockets" | "hostNetns">, at: string): ChangeEvent[] {
  const before = new Map(baseline.entries.map((e) => [e.identity, e]));
  return diff(before, byIdentity(look.sockets, (s) => identityOf(s, look.hostNetns)), at);
}
