// Port of CPython Lib/multiprocessing/pool.py (PSF-2.0): Pool, ThreadPool, ApplyResult/AsyncResult,
// MapResult, IMapIterator, IMapUnorderedIterator, RemoteTraceback, on piscina (see pool/pool.ts
// for the design that lets map() block the calling thread).

import { Pool as PoolClass, ThreadPool as ThreadPoolClass } from "./pool/pool.js";
import { callable } from "./shared/callable.js";
export { type PoolOptions, type MapOptions, type PoolArgs } from "./pool/pool.js";

/** A process pool: `Pool(4)`, `new Pool(2, { initializer, initargs })` (with or without `new`). */
export const Pool = callable(PoolClass);
export type Pool = PoolClass;
/** Pool's API under Python's ThreadPool name (with or without `new`). */
export const ThreadPool = callable(ThreadPoolClass);
export type ThreadPool = ThreadPoolClass;
export { ApplyResult, AsyncResult, MapResult, IMapIterator, IMapUnorderedIterator, MaybeEncodingError, RemoteTraceback } from "./pool/results.js";
export { TimeoutError } from "./errors.js";
export type { PoolStats } from "./shared/pool_protocol.js";
