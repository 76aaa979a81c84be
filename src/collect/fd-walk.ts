import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { HolderLookup } from "./attribute.js";
import { scanFdShare } from "./fd-scan.js";
import type { FdScanJob, FdScanResult } from "./fd-scan-worker.js";
import type { NativeAddon } from "./native.js";
import { tryRead } from "./proc-files.js";

// Step 3 of the live collection: every /proc/<pid>/fd link that names a socket, as inode → pid(s).

/** From this many sockets on (net/sockstat), the fd walk runs on several threads. */
const PARALLEL_FROM = 20_000;

/** Starts one worker thread of the fd walk, which runs src/collect/fd-scan-worker.ts on `job` (see CollectOptions.startWorker). */
export type StartFdScanWorker = (job: FdScanJob) => Worker;

/** Total sockets of our namespace from net/sockstat ("sockets: used N"), to decide whether threads pay off. */
export function socketsInUse(procRoot: string): number {
  const m = /sockets: used (\d+)/.exec(tryRead(`${procRoot}/net/sockstat`) ?? "");
  return m ? Number(m[1]) : 0;
}

/** Threads for the fd walk: as asked, else 1 on small hosts and up to 4 (the cores) from PARALLEL_FROM sockets on. */
export function fdWalkThreads(inUse: number, asked: number | undefined): number {
  return asked ?? (inUse >= PARALLEL_FROM ? Math.min(4, availableParallelism()) : 1);
}

/** One fd walk: which pids, how, and what the calling thread does while other threads walk. */
export interface FdWalk {
  procRoot: string;
  pids: readonly number[];
  /** Threads for the walk without the addon (see fdWalkThreads); the addon picks its own. */
  threads: number;
  /** Work for this thread while others walk (reading the socket tables); it then joins the walk. */
  meanwhile: () => void;
  /** The native addon, whose POSIX threads walk; null for JavaScript. */
  addon: NativeAddon | null;
  /** How to start a worker thread; default: the built dist/collect/fd-scan-worker.js. */
  startWorker: StartFdScanWorker | undefined;
}

/** Sockets where the addon's walk found them: [inode, pid] pairs and each one's fd number (the third view reads them). */
export interface SocketFds {
  pairs: Float64Array;
  fds: Int32Array;
  count: number;
}

/** What the fd walk found: who holds which inode, how many fd tables could not be read, and (the addon's walk) each socket's fd. */
export interface WalkedFds<H> {
  holders: H;
  denied: number;
  located?: SocketFds;
}

/**
 * The fd walk, possibly in parallel: on the addon's threads, or on worker threads that take pids from a
 * shared counter at once, the main thread joining in once `meanwhile()` (reading the socket tables)
 * returns. With one thread it is a loop. Each socket fd found goes into `holders` through `add`.
 */
export async function walkFds<H extends HolderLookup>(walk: FdWalk, holders: H, add: (holders: H, inode: number, pid: number) => void): Promise<WalkedFds<H>> {
  if (walk.addon) return walkOnNativeThreads(walk, walk.addon, holders, add);
  if (walk.threads <= 1) return walkInLoop(walk, holders, add);
  return walkOnWorkers(walk, holders, add);
}

async function walkOnNativeThreads<H>(walk: FdWalk, addon: NativeAddon, holders: H, add: (holders: H, inode: number, pid: number) => void): Promise<WalkedFds<H>> {
  // The addon walks on its own threads while this one reads the socket tables.
  const scan = addon.scanFds(walk.procRoot, Int32Array.from(walk.pids), Math.max(1, Math.min(4, availableParallelism())));
  walk.meanwhile();
  const { pairs, fds, count, denied } = await scan;
  for (let k = 0; k < count; k++) add(holders, pairs[2 * k] as number, pairs[2 * k + 1] as number);
  return fds === undefined ? { holders, denied } : { holders, denied, located: { pairs, fds, count } };
}

function walkInLoop<H>(walk: FdWalk, holders: H, add: (holders: H, inode: number, pid: number) => void): { holders: H; denied: number } {
  walk.meanwhile();
  let i = 0;
  return { holders, denied: scanFdShare(walk.procRoot, walk.pids, () => i++, (inode, pid) => add(holders, inode, pid)).denied };
}

async function walkOnWorkers<H>(walk: FdWalk, holders: H, add: (holders: H, inode: number, pid: number) => void): Promise<{ holders: H; denied: number }> {
  const { procRoot, pids } = walk;
  const shared = new Int32Array(new SharedArrayBuffer(4 * (pids.length + 1)));
  const counter = shared.subarray(0, 1);
  const pidList = shared.subarray(1);
  pidList.set(pids);
  const job: FdScanJob = { procRoot, pids: pidList, counter };
  const start = walk.startWorker ?? startBuiltWorker;
  const results = Array.from({ length: walk.threads - 1 }, () => new Promise<FdScanResult>((ok, fail) => {
    const worker = start(job);
    worker.once("message", (r: FdScanResult) => { ok(r); void worker.terminate(); });
    worker.once("error", fail);
  }));
  walk.meanwhile();
  let { denied } = scanFdShare(procRoot, pidList, () => Atomics.add(counter, 0, 1), (inode, pid) => add(holders, inode, pid));
  for (const r of await Promise.all(results)) {
    denied += r.denied;
    for (let k = 0; k < r.count; k++) add(holders, r.pairs[2 * k] as number, r.pairs[2 * k + 1] as number);
  }
  return { holders, denied };
}

/**
 * Starts a worker of the fd walk from the built file beside this module: dist/collect/fd-scan-worker.js
 * (in the one-file build, scripts/bundle.mjs, import.meta.url names a file in dist/collect/ as well).
 * Sources run through tsx have no such file: their callers pass CollectOptions.startWorker (the tests:
 * test/helpers/fd-scan-worker-from-source.ts).
 */
function startBuiltWorker(job: FdScanJob): Worker {
  // Only this fallback needs worker threads: loaded here, not at start-up. (A require, not import():
  // the one-file build, bin/start.cjs, runs as a script, where import() would need an experimental option.)
  const { Worker } = createRequire(import.meta.url)("node:worker_threads") as typeof import("node:worker_threads");
  return new Worker(new URL("./fd-scan-worker.js", import.meta.url), { workerData: job });
}
