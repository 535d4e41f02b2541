// The raw Node floor of the docs' Pool(5) example (bench/startup.mjs): node itself, one worker
// thread that loads the task module and maps it, the result printed by the main thread; no
// library, no pool.
import { Worker } from "node:worker_threads";

const w = new Worker(new URL("./raw_pool_worker.mjs", import.meta.url), { workerData: [1, 2, 3] });
w.on("message", (r) => {
  process.stdout.write(`[${r.join(", ")}]\n`);
});
