import { Worker } from "node:worker_threads";
import type { FdScanJob } from "../../src/collect/fd-scan-worker.js";

const WORKER_SOURCE = new URL("../../src/collect/fd-scan-worker.ts", import.meta.url).href;

/**
 * CollectOptions.startWorker for tests, which run the sources through tsx: a worker thread does not get
 * the tsx loader of the thread that starts it (it fails with `Unknown file extension ".ts"`), so the worker
 * registers tsx itself before it imports the worker's source. Built code needs none of this: it starts
 * dist/collect/fd-scan-worker.js.
 */
export function startFdScanWorkerFromSource(job: FdScanJob): Worker {
  return new Worker(`import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(WORKER_SOURCE)}); })`, { eval: true, workerData: job });
}
