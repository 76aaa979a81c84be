import { identityOf } from "../evaluate/identity.js";
import { baselineOf, type Baseline } from "../watch/baseline-store.js";
import { byIdentity } from "../watch/diff.js";
import type { HostLook } from "./auditor.js";

export { loadBaseline, saveBaseline, type Baseline } from "../watch/baseline-store.js";
export { diffWithBaseline } from "./baseline-diff.js";

/** A baseline of one look: its identities (program, port, user; never a pid or a client port). */
export function baselineFromLook(look: Pick<HostLook, "sockets" | "hostname" | "hostNetns">, savedAt: string): { baseline: Baseline; identities: number } {
  const seen = byIdentity(look.sockets, (s) => identityOf(s, look.hostNetns));
  return { baseline: baselineOf(seen, look.hostname, savedAt), identities: seen.size };
}
