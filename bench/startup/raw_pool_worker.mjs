// Worker side of raw_pool.mjs: the task function, mapped over the items it was given.
import { parentPort, workerData } from "node:worker_threads";

export function f(x) {
  return x * x;
}

parentPort.postMessage(workerData.map(f));
