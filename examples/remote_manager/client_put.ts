// "Using a remote manager" of Python's multiprocessing docs: one client puts (client_put.py is
// the Python original). Works against server.ts or server.py.
// Run: node --import tsx examples/remote_manager/client_put.ts [port]
import { BaseManager } from "multiprocessing-ts/managers";

class QueueManager extends BaseManager {}
QueueManager.register("get_queue");
const m: any = new QueueManager({ address: ["127.0.0.1", Number(process.argv[2] ?? 50000)], authkey: Buffer.from("abracadabra") });
m.connect();
const queue = m.get_queue();
queue.put("hello");
