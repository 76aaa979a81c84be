import type { ProcessInfo, SharedHolder } from "./process.js";

// A socket's other holders (Socket.sharedWith) are {pid, name} in the JSON, but the live collection reads
// each one's full details, and the judgement looks at every holder (a `sh -i` sharing its parent's
// connection is what a reverse shell from python's subprocess looks like). The details are kept beside
// the entry, not in it, so the entry stays what the JSON shows.

const details = new WeakMap<SharedHolder, ProcessInfo>();
const entries = new WeakMap<ProcessInfo, SharedHolder>();

/** The sharedWith entry of a process whose details were read: one per ProcessInfo object (like connections share it). */
export function sharedHolder(p: ProcessInfo): SharedHolder {
  let h = entries.get(p);
  if (h === undefined) {
    h = { pid: p.pid, name: p.name };
    entries.set(p, h);
    details.set(h, p);
  }
  return h;
}

/** The full details of a sharedWith entry, when the collection read them; null for another tool's {pid, name}. */
export function holderDetails(h: SharedHolder): ProcessInfo | null {
  return details.get(h) ?? null;
}
