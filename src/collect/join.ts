import type { Hiding } from "../model/hiding.js";
import type { ProcessInfo } from "../model/process.js";
import type { Problem } from "../model/problem.js";
import type { Socket } from "../model/socket.js";
import { attribute, type HolderLookup } from "./attribute.js";
import { classifyListeners, classifyOthers, isListening } from "./classify.js";
import type { CollectionParts } from "./collection.js";
import { markHiddenListeners } from "./hidden-listeners.js";
import { NETLINK_TABLES } from "./netlink-dumps.js";
import { decodeSockDiag, recordCount } from "./parse/sock-diag.js";
import type { Source } from "./tables.js";
import { dropClosed, takeListeners } from "./unowned-recheck.js";
import { count } from "../model/words.js";

// Step 5 of the live collection: the sockets joined to their owners by inode (attribute.ts) and
// classified (classify.ts), in two passes: every listener first, then the other sockets in batches.

/** What the earlier steps read: the sockets' sources, who holds which inode, the holders' details. */
export interface Gathered {
  sources: Source[];
  holders: HolderLookup;
  processes: Map<number, ProcessInfo>;
  /** fd tables that could not be read (no root). */
  denied: number;
  /** Inodes of listeners that closed while the look ran (their holder exited): left out. */
  closed?: ReadonlySet<number>;
  wantOwners: boolean;
  hostNetns: number | null;
  hostname: string | null;
  problems: Problem[];
  warnings: string[];
  readVia: Map<number | null, "netlink" | "proc">;
  hiding: Hiding;
}

// Sockets per batch of the second pass. Small enough that a batch dies young: with 512, a young-generation
// collection often caught a batch in flight, and promoted sockets piled up in the old generation until
// a full collection (at 100k connections, every third audit peaked 30 MiB higher).
const BATCH = 128;

/** Joins and classifies in two passes: listeners now (with the cross-view check), the other sockets in batches (see CollectionParts). */
export function joinInParts(found: Gathered, lap?: (phase: string) => void): CollectionParts {
  const { sources, hostNetns, warnings } = found;
  const owners = { holders: found.holders, processes: found.processes };
  let unowned = 0;
  const join = (batch: Socket[]) => { if (found.wantOwners) unowned += attribute(batch, owners); };

  const listeners = allListeners(sources, found.closed ?? new Set());
  lap?.("listeners and cross-check");
  join(listeners);
  const index = classifyListeners(listeners, hostNetns);

  function* rest(): Generator<Socket[]> {
    for (const src of sources) {
      for (const batch of otherSockets(src)) {
        join(batch);
        classifyOthers(batch, index);
        yield batch;
      }
    }
    if (unowned > 0) warnings.push(unownedWarning(unowned, found.denied));
  }

  return { listeners, rest, hostname: found.hostname, hostNetns, problems: found.problems, warnings, readVia: found.readVia, hiding: found.hiding };
}

/** Every namespace's listeners: decoded from its netlink records (and cross-checked with /proc/net), or picked from its /proc-text sockets. */
function allListeners(sources: readonly Source[], closed: ReadonlySet<number>): Socket[] {
  const listeners: Socket[] = [];
  for (const src of sources) {
    const from = listeners.length;
    for (const s of takeListeners(src)) listeners.push(s);
    dropClosed(listeners, closed, from);
    if (src.crossCheck) markHiddenListeners(listeners, from, src.crossCheck, src.netns);
    for (const s of src.made) if (isListening(s) && (s.inode === null || !closed.has(s.inode))) listeners.push(s);
    if (src.hidden) markHeld(listeners, from, src.hidden);
  }
  return listeners;
}

/** Sockets from index `from` on that processes hold in a namespace no process is in (Source.hidden): hidden from both views. */
function markHeld(sockets: Socket[], from: number, hidden: ReadonlySet<number>): void {
  for (let i = from; i < sockets.length; i++) {
    const s = sockets[i] as Socket;
    if (s.inode !== null && hidden.has(s.inode)) s.hiddenFrom = "both";
  }
}

/** One namespace's sockets other than listeners, BATCH at a time: decoded from the netlink records only now, then those already made. */
function* otherSockets(src: Source): Generator<Socket[]> {
  if (src.netlink) {
    for (const t of NETLINK_TABLES) {
      const records = src.netlink[t.name];
      for (let from = 0, n = recordCount(records); from < n; from += BATCH) {
        const batch: Socket[] = [];
        decodeSockDiag(records, t.proto, src.netns, batch, "other", from, from + BATCH);
        if (src.hidden) markHeld(batch, 0, src.hidden);
        if (batch.length > 0) yield batch;
      }
    }
  }
  const others = src.made.filter((s) => !isListening(s));
  for (let from = 0; from < others.length; from += BATCH) yield others.slice(from, from + BATCH);
}

function unownedWarning(unowned: number, denied: number): string {
  return denied > 0
    ? `${count(unowned, "socket has", "sockets have")} no visible owner: they belong to processes whose files could not be read, or to the kernel`
    : `${count(unowned, "socket has", "sockets have")} no owning process that portwatch can see: a kernel socket (NFS, WireGuard), a process outside this PID namespace, or one that exited during the scan`;
}
