#!/usr/bin/env node
// The package's command line: `multiprocessing-ts worker --connection redis://host:port ...` runs
// a worker process of distributed Pools (multiprocessing-ts/distributed).
const [command, ...args] = process.argv.slice(2);
if (command !== "worker") {
  process.stderr.write(`usage: multiprocessing-ts worker --connection redis://host:port [--queue name] [--concurrency n] [--maxtasksperchild n]\n`);
  process.exit(command === undefined || command === "-h" || command === "--help" ? 0 : 2);
}
const { main } = await import(new URL("../dist/worker/distributed_worker.js", import.meta.url).href);
process.exit(await main(args));
