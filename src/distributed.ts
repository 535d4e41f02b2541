// multiprocessing-ts/distributed: multiprocessing.Pool's API with its tasks on worker processes
// of any number of machines, through a BullMQ queue on Redis (issue #16). No CPython module of
// this name: the drop-in distributed Pool Python users reach for is Ray's ray.util.multiprocessing.
// Workers: `npx multiprocessing-ts worker --connection redis://host:port` (worker/distributed_worker.ts).

import { callable } from "./shared/callable.js";
import * as distributed from "./distributed/pool.js";

/**
 * Returns a distributed process pool: `Pool({ processes, connection, queue })`, with or without
 * `new`, as the local Pool.
 */
export const Pool = callable(distributed.Pool);
export type Pool = distributed.Pool;
export type { DistributedPoolOptions, MapOptions } from "./distributed/pool.js";
export { ApplyResult, AsyncResult, MapResult, IMapIterator, IMapUnorderedIterator, RemoteTraceback } from "./pool/results.js";
export { TimeoutError } from "./errors.js";
