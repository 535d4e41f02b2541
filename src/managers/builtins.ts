// What SyncManager registers (CPython's SyncManager.register calls at the end of
// Lib/multiprocessing/managers.py, PSF-2.0): the server-side callable behind each typeid. The
// manager names them by string ("builtin:Queue"); the server finds them here.

import { makeDict, SeqIterator } from "./containers.js";
import { Namespace, PyArray, StdQueue, ThreadingBarrier, ThreadingBoundedSemaphore, ThreadingCondition, ThreadingEvent, ThreadingLock, ThreadingRLock, ThreadingSemaphore, Value } from "./referents.js";
import { serverHooks } from "./proxies.js";
import { TypeError } from "../shared/pyerrors.js";
import { StopIteration } from "../shared/pyerrors.js";

/** A Pool in the server: its blocking methods wait on promises, so the server keeps serving. */
export class PoolReferent {
  readonly pool: any;
  constructor(pool: any) {
    this.pool = pool;
  }
  apply(fn: any, args: unknown[] = [], kwds?: Record<string, unknown>): Promise<unknown> {
    return this.pool.apply_async(fn, args, kwds).get_async();
  }
  apply_async(fn: any, args: unknown[] = [], kwds?: Record<string, unknown>): AsyncResultReferent {
    return new AsyncResultReferent(this.pool.apply_async(fn, args, kwds));
  }
  map(fn: any, xs: Iterable<unknown>, chunksize?: number): Promise<unknown> {
    return this.pool.map_async(fn, xs, chunksize).get_async();
  }
  map_async(fn: any, xs: Iterable<unknown>, chunksize?: number): AsyncResultReferent {
    return new AsyncResultReferent(this.pool.map_async(fn, xs, chunksize));
  }
  starmap(fn: any, xs: Iterable<unknown>, chunksize?: number): Promise<unknown> {
    return this.pool.starmap_async(fn, xs, chunksize).get_async();
  }
  starmap_async(fn: any, xs: Iterable<unknown>, chunksize?: number): AsyncResultReferent {
    return new AsyncResultReferent(this.pool.starmap_async(fn, xs, chunksize));
  }
  imap(fn: any, xs: Iterable<unknown>, chunksize?: number): AsyncIter {
    return new AsyncIter(this.pool.imap(fn, xs, chunksize)[Symbol.asyncIterator]());
  }
  imap_unordered(fn: any, xs: Iterable<unknown>, chunksize?: number): AsyncIter {
    return new AsyncIter(this.pool.imap_unordered(fn, xs, chunksize)[Symbol.asyncIterator]());
  }
  close(): void {
    this.pool.close();
  }
  join(): Promise<void> {
    return typeof this.pool.join_async === "function" ? this.pool.join_async() : this.pool.join();
  }
  terminate(): void {
    this.pool.terminate();
  }
  __repr__(): string {
    return String(this.pool);
  }
}

/** `multiprocessing.pool.AsyncResult` in the server (AutoProxy[AsyncResult]). */
export class AsyncResultReferent {
  readonly #r: any;
  constructor(r: any) {
    this.#r = r;
  }
  get(timeout: number | null = null): Promise<unknown> {
    return this.#r.get_async(timeout);
  }
  wait(timeout: number | null = null): Promise<void> | void {
    return typeof this.#r.wait_async === "function" ? this.#r.wait_async(timeout) : this.#r.wait(timeout);
  }
  ready(): boolean {
    return this.#r.ready();
  }
  successful(): boolean {
    return this.#r.successful();
  }
}

/** An async iterator behind an IteratorProxy. */
export class AsyncIter {
  readonly #it: AsyncIterator<unknown>;
  constructor(it: AsyncIterator<unknown>) {
    this.#it = it;
  }
  async __next__(): Promise<unknown> {
    const r = await this.#it.next();
    if (r.done) throw new StopIteration();
    return r.value;
  }
}

async function makePool(...args: unknown[]): Promise<PoolReferent> {
  const { Pool } = await import("../pool.js");
  return new PoolReferent(new (Pool as any)(...args));
}

function makeCondition(lock: unknown = null): ThreadingCondition {
  const l = serverHooks.resolve ? serverHooks.resolve(lock) : lock;
  if (l !== null && !(l instanceof ThreadingLock) && !(l instanceof ThreadingRLock)) throw new TypeError("Condition() needs a Lock or an RLock of the same manager");
  return new ThreadingCondition(l as ThreadingLock | ThreadingRLock | null);
}

const table: Record<string, (...args: any[]) => unknown> = {
  Queue: (maxsize = 0) => new StdQueue(maxsize),
  JoinableQueue: (maxsize = 0) => new StdQueue(maxsize),
  Event: () => new ThreadingEvent(),
  Lock: () => new ThreadingLock(),
  RLock: () => new ThreadingRLock(),
  Semaphore: (value = 1) => new ThreadingSemaphore(value),
  BoundedSemaphore: (value = 1) => new ThreadingBoundedSemaphore(value),
  Condition: makeCondition,
  Barrier: (parties: number, action: any = null, timeout: any = null) => {
    if (action !== null && typeof action === "object" && !Array.isArray(action) && typeof action.__call__ !== "function") ({ action = null, timeout = null } = action);
    return new ThreadingBarrier(parties, action, timeout);
  },
  Pool: makePool,
  list: (seq: Iterable<unknown> = []) => [...seq],
  dict: makeDict,
  Value: (typecode: string, value: unknown, lock: unknown = true) => new Value(typecode, value, lock),
  Array: (typecode: string, sequence: Iterable<unknown>, lock: unknown = true) => new PyArray(typecode, sequence, lock),
  Namespace: (kwds: Record<string, unknown> = {}) => new Namespace(kwds),
  Iterator: (it: Iterable<unknown>) => new SeqIterator(it[Symbol.iterator]()),
};

/** The server-side callable of a builtin typeid ("builtin:Queue"). */
export function builtinCallable(name: string): (...args: any[]) => unknown {
  const fn = table[name.replace(/^builtin:/, "")];
  if (!fn) throw new TypeError(`unknown manager type ${name}`);
  return fn;
}
