// The raw Node floor of the docs' Pool(5) example under `node --import tsx` (bench/startup.mjs):
// node with tsx, one worker thread that loads a TypeScript task module (tsx registered in it,
// as Node 20 requires), the result printed by the main thread; no library, no pool.
import { Worker } from "node:worker_threads";

const w = new Worker(new URL("./raw_pool_tsx_worker.mjs", import.meta.url), { workerData: [1, 2, 3] });
w.on("message", (r: number[]) => {
  process.stdout.write(`[${r.join(", ")}]\n`);
});
