// The raw Node floor of the one-Process hello (bench/startup.mjs): node itself, one worker
// thread that prints, and the wait for its exit; no library.
import { Worker } from "node:worker_threads";

const w = new Worker(new URL("./raw_hello_worker.mjs", import.meta.url), { workerData: "bob" });
w.on("exit", () => {});
