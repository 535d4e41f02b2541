// What SyncManager registers (CPython's SyncManager.register calls at the end of
// Lib/multiprocessing/managers.py, PSF-2.0): the server-side callable behind each typeid. The
// manager names them by string ("builtin:Queue"); the server finds them here.

import { makeDict, pyIterItems, SeqIterator } from "./containers.js";
import { Namespace, PyArray, StdQueue, ThreadingBarrier, ThreadingBoundedSemaphore, ThreadingCondition, ThreadingEvent, ThreadingLock, ThreadingRLock, ThreadingSemaphore, Value } from "./referents.js";
import { serverHooks } from "./proxies.js";
import { StopIteration, TypeError } from "../shared/pyerrors.js";
import { kReferent } from "./referent_kind.js";
import { kFactory } from "./server.js";
import { bindCall, factorySignature } from "./signatures.js";
import type { AnyParam } from "../shared/binder.js";

/** A Pool in the server: its blocking methods wait on promises, so the server keeps serving. */
export class PoolReferent {
  readonly pool: any;
  /** Its calls bind against Pool's own declarations (pool/pool.ts). */
  get [kReferent](): string {
    return "pool";
  }
  constructor(pool: any) {
    this.pool = pool;
  }
  // Called with the bound values of Pool's declarations, defaults filled in.
  apply(fn: any, args: unknown[], kwds: Record<string, unknown>): Promise<unknown> {
    return this.pool.apply_async(fn, args, kwds).get_async();
  }
  apply_async(fn: any, args: unknown[], kwds: Record<string, unknown>, callback: any, error_callback: any): AsyncResultReferent {
    return new AsyncResultReferent(this.pool.apply_async(fn, args, kwds, callback, error_callback));
  }
  map(fn: any, xs: Iterable<unknown>, chunksize: number | null): Promise<unknown> {
    return this.pool.map_async(fn, xs, chunksize).get_async();
  }
  map_async(fn: any, xs: Iterable<unknown>, chunksize: number | null, callback: any, error_callback: any): AsyncResultReferent {
    return new AsyncResultReferent(this.pool.map_async(fn, xs, chunksize, callback, error_callback));
  }
  starmap(fn: any, xs: Iterable<unknown>, chunksize: number | null): Promise<unknown> {
    return this.pool.starmap_async(fn, xs, chunksize).get_async();
  }
  starmap_async(fn: any, xs: Iterable<unknown>, chunksize: number | null, callback: any, error_callback: any): AsyncResultReferent {
    return new AsyncResultReferent(this.pool.starmap_async(fn, xs, chunksize, callback, error_callback));
  }
  imap(fn: any, xs: Iterable<unknown>, chunksize: number): AsyncIter {
    return new AsyncIter(this.pool.imap(fn, xs, chunksize)[Symbol.asyncIterator]());
  }
  imap_unordered(fn: any, xs: Iterable<unknown>, chunksize: number): AsyncIter {
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
  get [kReferent](): string {
    return "asyncresult";
  }
  constructor(r: any) {
    this.#r = r;
  }
  get(timeout: number | null): Promise<unknown> {
    return this.#r.get_async(timeout);
  }
  /** Python's `wait()` returns None (null on the wire, not undefined). */
  async wait(timeout: number | null): Promise<null> {
    await (typeof this.#r.wait_async === "function" ? this.#r.wait_async(timeout) : this.#r.wait(timeout));
    return null;
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
  get [kReferent](): string {
    return "iterator";
  }
  constructor(it: AsyncIterator<unknown>) {
    this.#it = it;
  }
  async __next__(): Promise<unknown> {
    const r = await this.#it.next();
    if (r.done) throw new StopIteration();
    return r.value;
  }
}

/** Makes the server's Pool from a request's `(args, kwds)`, bound by Pool's own declaration once pool.ts is loaded. */
async function makePool(args: unknown[], kwds: Record<string, unknown> | null): Promise<PoolReferent> {
  const { Pool } = await import("../pool.js");
  const s = factorySignature("Pool")!;
  const values = bindCall(s, args, kwds);
  // Every positional given, then the keyword-only ones (resourceLimits) as the trailing object.
  const pos = values.filter((_, i) => s.params[i]!.kind !== "keyword-only");
  const kwOnly = Object.fromEntries((s.params as readonly AnyParam[]).flatMap((q, i) => (q.kind === "keyword-only" ? [[q.name, values[i]]] : [])));
  return new PoolReferent(new (Pool as any)(...pos, kwOnly));
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
  Barrier: (parties: number, action: any, timeout: any) => new ThreadingBarrier(parties, action, timeout),
  Pool: makePool,
  list: (seq: unknown = []) => pyIterItems(seq),
  dict: makeDict,
  Value: (typecode: string, value: unknown, lock: unknown) => new Value(typecode, value, lock),
  Array: (typecode: string, sequence: Iterable<unknown>, lock: unknown) => new PyArray(typecode, sequence, lock),
  Namespace: (kwds: Record<string, unknown>) => new Namespace(kwds),
  Iterator: (it: Iterable<unknown>) => new SeqIterator(it[Symbol.iterator]()),
};

// Each callable carries how the server calls it: bound by its declaration (signatures.ts), or,
// for Pool, with the request's `(args, kwds)` (its declaration is pool.ts's, loaded on first use).
for (const [typeid, fn] of Object.entries(table)) Object.defineProperty(fn, kFactory, { value: typeid === "Pool" ? "raw" : factorySignature(typeid) });

/** The server-side callable of a builtin typeid ("builtin:Queue"). */
export function builtinCallable(name: string): (...args: any[]) => unknown {
  const fn = table[name.replace(/^builtin:/, "")];
  if (!fn) throw new TypeError(`unknown manager type ${name}`);
  return fn;
}
