// Port of CPython Lib/multiprocessing/pool.py (PSF-2.0): Pool, ThreadPool, ApplyResult/AsyncResult,
// MapResult, IMapIterator, IMapUnorderedIterator, RemoteTraceback, on piscina (see pool/pool.ts
// for the design that lets map() block the calling thread).

export { Pool, ThreadPool, type PoolOptions, type MapOptions } from "./pool/pool.js";
export { ApplyResult, AsyncResult, MapResult, IMapIterator, IMapUnorderedIterator, RemoteTraceback } from "./pool/results.js";
export { TimeoutError } from "./errors.js";
export type { PoolStats } from "./shared/pool_protocol.js";
