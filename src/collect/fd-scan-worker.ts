import { parentPort, workerData } from "node:worker_threads";
import { scanFdShare } from "./fd-scan.js";

/** What collect/fd-walk.ts sends a worker: all pids, and the shared counter that hands them out. */
export interface FdScanJob {
  procRoot: string;
  pids: Int32Array;
  counter: Int32Array;
}

/** What a worker answers: [inode, pid] pairs of the socket fds it found, and its counts. */
export interface FdScanResult {
  pairs: Float64Array;
  count: number;
  denied: number;
  scanned: number;
}

// A worker thread of the fd walk (see walkFds in fd-walk.ts): it takes pids from the shared counter and reads
// their /proc/<pid>/fd links while the main thread reads the socket tables, then joins in.
const job = workerData as FdScanJob;
let pairs = new Float64Array(1 << 16);
let count = 0;
const { denied, scanned } = scanFdShare(job.procRoot, job.pids, () => Atomics.add(job.counter, 0, 1), (inode, pid) => {
  if (count * 2 + 2 > pairs.length) { const bigger = new Float64Array(pairs.length * 2); bigger.set(pairs); pairs = bigger; }
  pairs[count * 2] = inode;
  pairs[count * 2 + 1] = pid;
  count++;
});
const result: FdScanResult = { pairs, count, denied, scanned };
parentPort?.postMessage(result, [pairs.buffer]);
