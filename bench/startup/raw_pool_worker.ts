// Worker side of raw_pool.ts: the task function, mapped over the items it was given.
import { parentPort, workerData } from "node:worker_threads";

export function f(x: number): number {
  return x * x;
}

parentPort!.postMessage((workerData as number[]).map(f));
