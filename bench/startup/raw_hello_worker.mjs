// Worker side of raw_hello.mjs.
import { workerData } from "node:worker_threads";

process.stdout.write(`hello ${workerData}\n`);
