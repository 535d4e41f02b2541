// "Using a remote manager" of Python's multiprocessing docs, line for line (server.py is the
// Python original): serves a queue on a socket to Python or TypeScript clients on any machine.
// Run: node --import tsx examples/remote_manager/server.ts [port]
// Differs from Python: the registered callable is an exported function (the server process
// imports this module to find it), not a lambda; `StdQueue` is Python's `queue.Queue`.
import { is_main } from "multiprocessing-ts";
import { BaseManager, StdQueue } from "multiprocessing-ts/managers";
import { print } from "multiprocessing-ts/py";

const queue = new StdQueue();
export function get_queue(): StdQueue {
  return queue;
}
export class QueueManager extends BaseManager {}
QueueManager.register("get_queue", get_queue);

if (is_main(import.meta)) {
  const m = new QueueManager({ address: ["127.0.0.1", Number(process.argv[2] ?? 50000)], authkey: Buffer.from("abracadabra") });
  const s = m.get_server();
  print("serving on port", s.address![1]);
  s.serve_forever();
}
