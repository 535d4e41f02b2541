// The distributed Pool: CPython Lib/multiprocessing/pool.py's Pool API (PSF-2.0) with its tasks
// in a BullMQ queue on Redis, run by `multiprocessing-ts worker` processes on any machine.
// Design: as the local Pool (pool/pool.ts), the client that needs an event loop (here BullMQ and
// ioredis) lives in a host thread (worker/distributed_host.ts); this side posts jobs to it on a
// MessagePort and waits for results on a shared counter through shared/semlock.ts, draining the
// port with receiveMessageOnPort, so that map() and get() block the calling thread (main
// included) as Python's do. The awaitable forms wait with Atomics.waitAsync instead.
// Functions travel by reference: module path relative to the project root + export name; values
// by the library's codec after reduction (functions and class instances by reference); shared
// objects (Lock, Value, Queue, Pipe...) are refused here, in the caller.
// Differs from Python: see MIGRATION.md, "Distributed Pool".

import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { randomBytes } from "node:crypto";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { decode, encode, isPrimitiveArray, warmUp } from "../shared/codec.js";
import { PyObject } from "../shared/pyobject.js";
import * as py from "../shared/pyerrors.js";
import { globalRefOf, kReduceType, modulesOf, reduceValue, type ReduceOptions } from "../shared/reduction.js";
import { waitWhile, waitWhileAsync } from "../shared/semlock.js";
import { kControlCells, kDefaultLockMs, kDefaultPrefix, kDefaultQueue, kDefaultStalledMs, kHostGone, kPosted, type HostData, type HostToMain, type MainToHost, type PoolConfig } from "../shared/distributed_protocol.js";
import { callerModule, definingModule } from "../popen/locate.js";
import { childExecArgv } from "../popen/worker_thread.js";
import { esmDir, libraryDir } from "../popen/index.js";
import { ApplyResult, IMapIterator, IMapUnorderedIterator, MapResult, rebuildError, type Sink } from "../pool/results.js";

type AnyFn = (...args: any[]) => unknown;

/** Keyword arguments of the distributed Pool(). */
export interface DistributedPoolOptions {
  /**
   * Local worker processes the Pool starts itself (separate `node` processes running
   * `multiprocessing-ts worker`); 0: only workers started elsewhere serve the queue.
   * Defaults to cpu_count().
   */
  processes?: number | boolean | null;
  /** Called as initializer(...initargs) once in every worker thread, before its first task of this Pool. */
  initializer?: AnyFn | null;
  /** Arguments of the initializer: plain values, functions and class instances (no shared objects). */
  initargs?: unknown[];
  /** Replace a worker thread after it has run this many tasks (chunks) of this Pool; null: never. */
  maxtasksperchild?: number | null;
  /** The Redis server: `redis://host:port` (default redis://127.0.0.1:6379) or ioredis options. */
  connection?: string | Record<string, unknown>;
  /** The BullMQ queue that the workers serve (default "multiprocessing-ts"). */
  queue?: string;
  /** BullMQ's key prefix (default "bull"). */
  prefix?: string;
  /** The folder task modules are named relative to (default: the current folder); workers use their own `--root`. */
  root?: string;
  /** Workers expected to serve the queue, for the default chunksize (default: `processes`, or cpu_count() if 0). */
  pool_size?: number | null;
  /** Seconds a job's lock lasts in the local workers (default 10): a killed worker's chunk runs again after at most lock_duration + stalled_interval. */
  lock_duration?: number;
  /** Seconds between the local workers' checks for stalled jobs (default 5). */
  stalled_interval?: number;
  /** Times a chunk may lose its local worker process and run again before it fails (default 3). */
  max_stalled_count?: number;
  /** Seconds Redis may stay unreachable before waits raise OSError (default 30). */
  redis_timeout?: number;
}

/** Keyword arguments of map_async() and friends. */
export interface MapOptions<R> {
  chunksize?: number | null;
  callback?: ((result: R) => unknown) | null;
  error_callback?: ((error: unknown) => unknown) | null;
}

const States = { RUN: "RUN", CLOSE: "CLOSE", TERMINATE: "TERMINATE" } as const;
type State = (typeof States)[keyof typeof States];

/** The path of the package's command line entry (bin/multiprocessing-ts.mjs), from the ESM dist/ folder. */
function binPath(): string {
  return fileURLToPath(new URL("../bin/multiprocessing-ts.mjs", esmDir));
}

/**
 * Throws Python's RuntimeError if `value` holds a shared object: they live in this process's
 * shared memory, which a distributed worker cannot reach.
 */
function refuseShared(value: unknown, seen = new Set<object>()): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  const type = (value as any)[kReduceType] as string | undefined;
  if (type !== undefined) {
    throw new py.RuntimeError(
      `${type} objects should only be shared between processes through inheritance ` +
        "(a distributed Pool's workers are other processes, possibly on other machines, and cannot reach this process's shared memory: send plain values)",
    );
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  if (value instanceof SharedArrayBuffer) throw new py.TypeError("cannot send a SharedArrayBuffer to a distributed Pool's workers (they cannot reach this process's memory)");
  if (value instanceof Map) {
    for (const [k, v] of value) {
      refuseShared(k, seen);
      refuseShared(v, seen);
    }
    return;
  }
  if (value instanceof Set) {
    for (const v of value) refuseShared(v, seen);
    return;
  }
  for (const k of Object.keys(value)) refuseShared((value as any)[k], seen);
}

/** A process pool whose tasks run on `multiprocessing-ts worker` processes, through BullMQ on Redis. */
export class Pool extends PyObject implements Disposable {
  readonly #host: Worker;
  readonly #port: MessagePort;
  readonly #control: Int32Array;
  readonly #poolSize: number;
  readonly #root: string;
  readonly #caller: string | null;
  readonly #jobs = new Map<number, Sink>();
  readonly #chunksLeft = new Map<number, number>();
  #nextJob = 0;
  #state: State = States.RUN;
  #closed = false;
  #broken: Error | null = null;
  #asyncPump: Promise<void> | null = null;
  /** join() waits for the host to finish even when the pool broke (it ends the local workers). */
  #joining = false;
  /** This Pool's id: its Redis keys and job ids carry it. Not in Python. */
  readonly id: string;

  /**
   * `Pool(processes)`, `Pool(processes, initializer, initargs, maxtasksperchild)` or
   * `Pool({ processes, connection, queue, ... })`.
   * @throws ValueError "Number of processes must be at least 0", "maxtasksperchild must be a positive int or None";
   * TypeError "initializer must be a callable"; RuntimeError for shared objects in initargs.
   */
  constructor(processes?: number | boolean | null | DistributedPoolOptions, initializer?: AnyFn | null, initargs: unknown[] = [], maxtasksperchild: number | null = null) {
    super();
    let o: DistributedPoolOptions = {};
    if (processes !== null && typeof processes === "object") {
      o = processes;
      ({ processes = null, initializer = null, initargs = [], maxtasksperchild = null } = o);
    }
    let n = processes === null || processes === undefined ? availableParallelism() || 1 : Number(processes);
    if (!Number.isFinite(n) || n < 0) throw new py.ValueError("Number of processes must be at least 0 (0: only workers started elsewhere)");
    n = Math.floor(n);
    if (maxtasksperchild !== null && maxtasksperchild !== undefined) {
      const m = typeof maxtasksperchild === "boolean" ? Number(maxtasksperchild) : maxtasksperchild;
      if (typeof m !== "number" || !Number.isInteger(m) || m <= 0) throw new py.ValueError("maxtasksperchild must be a positive int or None");
      maxtasksperchild = m;
    }
    if (initializer !== null && initializer !== undefined && typeof initializer !== "function") throw new py.TypeError("initializer must be a callable");
    const connection = o.connection ?? "redis://127.0.0.1:6379";
    if (typeof connection === "string" && !/^rediss?:\/\//.test(connection)) throw new py.ValueError(`connection must be a redis:// URL, not '${connection}'`);
    const queue = o.queue ?? kDefaultQueue;
    const prefix = o.prefix ?? kDefaultPrefix;
    this.#poolSize = Math.max(1, Math.floor(o.pool_size ?? (n || availableParallelism() || 1)));
    this.#root = resolve(o.root ?? process.cwd());
    this.#caller = callerModule(libraryDir);
    this.id = randomBytes(8).toString("hex");

    refuseShared(initargs);
    const opts = this.#reduceOptions("Pool initializer");
    const init = initializer ? reduceValue(initializer, opts) : null;
    const args = reduceValue([...initargs], opts);
    const config: PoolConfig = { initializer: init, initargs: args, modules: [...modulesOf([init, args])], maxtasksperchild: maxtasksperchild ?? null };
    const seconds = (v: number | undefined, dflt: number) => String(Math.max(100, Math.round((v ?? dflt) * 1000)));
    if (n > 0 && typeof connection !== "string") throw new py.ValueError("local worker processes need the connection as a redis:// URL");
    const workerArgv = [binPath(), "worker", "--connection", String(connection), "--queue", queue, "--prefix", prefix, "--root", this.#root,
      "--concurrency", "1", "--lock-duration", seconds(o.lock_duration, kDefaultLockMs / 1000), "--stalled-interval", seconds(o.stalled_interval, kDefaultStalledMs / 1000), "--exit-with-stdin"];
    if (maxtasksperchild) workerArgv.push("--maxtasksperchild", String(maxtasksperchild));
    if (o.max_stalled_count !== undefined) workerArgv.push("--max-stalled-count", String(Math.max(0, Math.floor(o.max_stalled_count))));
    this.#control = new Int32Array(new SharedArrayBuffer(4 * kControlCells));
    const hostData: HostData = {
      control: this.#control, connection, queue, prefix, poolId: this.id, processes: n, workerArgv,
      config: new Uint8Array(encode(config)), redisTimeoutMs: Math.max(1000, (o.redis_timeout ?? 30) * 1000),
    };
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#host = new Worker(new URL("worker/distributed_host.js", esmDir), {
      workerData: { ...hostData, port: port2 },
      transferList: [port2],
      execArgv: childExecArgv(),
    });
    this.#host.on("error", () => {});
    this.#host.unref();
    port1.unref();
    warmUp();
  }

  /** The module spec a worker imports: the path relative to the root (absolute if outside it). */
  #spec(url: string): string {
    if (!url.startsWith("file:")) return url;
    const file = fileURLToPath(url);
    const rel = relative(this.#root, file);
    return rel.startsWith("..") || isAbsolute(rel) ? file : rel.split(sep).join("/");
  }

  #reduceOptions(what: string): ReduceOptions {
    const caller = this.#caller;
    return {
      locate: (fn) => {
        const url = definingModule(fn) ?? caller;
        return url ? this.#spec(url) : null;
      },
      defaultModule: caller ? this.#spec(caller) : undefined,
      what,
    };
  }

  #check(): void {
    if (this.#state !== States.RUN) throw new py.ValueError("Pool not running");
  }

  // --- talking to the host -------------------------------------------------------------------

  #pump(): void {
    for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port)) {
      const msg = m.message as HostToMain;
      if (msg.op === "results") {
        for (const e of msg.entries) {
          const buf = Buffer.from(e.buffer, e.byteOffset, e.length);
          const [ok, value] = decode(buf, 8, e.length - 8) as [boolean, any];
          this.#deliver(buf.readUInt32LE(0), buf.readUInt32LE(4), ok, ok ? value : rebuildError(value));
        }
      } else if (msg.op === "failed") {
        this.#deliver(msg.job, msg.chunk, false, rebuildError(msg.error));
      } else if (msg.op === "broken") {
        this.#broken = new py.OSError(msg.message);
        this.#state = States.TERMINATE;
      } else if (msg.op === "closed") {
        this.#closed = true;
      }
    }
  }

  #deliver(jobNo: number, chunk: number, ok: boolean, value: unknown): void {
    const job = this.#jobs.get(jobNo);
    if (!job) return;
    const left = this.#chunksLeft.get(jobNo)! - 1;
    if (left > 0) this.#chunksLeft.set(jobNo, left);
    else {
      this.#jobs.delete(jobNo);
      this.#chunksLeft.delete(jobNo);
    }
    job._set(chunk, ok, value);
  }

  /** One round of a wait: true/false when it is over, else the counter value to sleep on. */
  #waitStep(done: () => boolean, deadline: number): boolean | number {
    // Read the counter before draining: a message posted after the drain bumps it, so the sleep
    // that follows returns at once instead of missing it.
    const seen = Atomics.load(this.#control, kPosted);
    this.#pump();
    if (done()) return true;
    if (this.#broken === null && !this.#closed && Atomics.load(this.#control, kHostGone) !== 0) {
      this.#pump();
      if (!this.#closed && !done()) {
        this.#state = States.TERMINATE;
        this.#broken = new py.RuntimeError(`the distributed Pool's host thread exited unexpectedly (exit code ${Atomics.load(this.#control, kHostGone) - 1}); the pool cannot be used any more`);
      }
    }
    if (this.#broken !== null && !done() && !this.#joining) throw this.#broken;
    if (deadline - performance.now() <= 0 || (this.#closed && this.#state === States.TERMINATE)) return done();
    return seen;
  }

  /** @internal blocks this thread until `done()` (or `ms` pass), delivering results meanwhile. */
  _waitUntil(done: () => boolean, ms: number): boolean {
    const deadline = performance.now() + ms;
    for (;;) {
      const step = this.#waitStep(done, deadline);
      if (typeof step === "boolean") return step;
      waitWhile(this.#control, kPosted, step, deadline - performance.now());
    }
  }

  /** @internal the Promise twin of _waitUntil(). */
  async _waitUntilAsync(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    for (;;) {
      const step = this.#waitStep(done, deadline);
      if (typeof step === "boolean") return step;
      await waitWhileAsync(this.#control, kPosted, step, Math.min(deadline - performance.now(), 1000));
    }
  }

  #callbacksPending(): boolean {
    for (const j of this.#jobs.values()) if ((j as any)._hasCallbacks && !(j as any)._ready) return true;
    return false;
  }

  /** Delivers results to callbacks while nobody waits for them (CPython's result-handler thread). */
  #ensureAsyncPump(): void {
    this.#asyncPump ??= (async () => {
      const pending = () => this.#callbacksPending();
      try {
        while (pending()) await this._waitUntilAsync(() => !pending(), Infinity);
      } catch {
        // the pool broke: the waits of its results raise the error
      }
      this.#asyncPump = null;
    })();
  }

  /** Encodes one chunk's items: primitives as they are, anything else reduced first. */
  #encodeChunk(items: unknown[], opts: ReduceOptions): Uint8Array {
    if (isPrimitiveArray(items)) return new Uint8Array(encode(items));
    refuseShared(items);
    return new Uint8Array(encode(reduceValue(items, opts)));
  }

  /** Sends a job to the host: `items` cut into chunks of `chunksize`, each one BullMQ job. */
  #submit(sink: Sink, fn: AnyFn, items: unknown[], chunksize: number, star: boolean, kwargs: Record<string, unknown> | null): void {
    if (typeof fn !== "function") throw new py.TypeError(`'${typeof fn}' object is not callable`);
    const opts = this.#reduceOptions("Pool task");
    const ref = globalRefOf(fn, opts);
    // Every chunk is encoded before any is sent: an argument that cannot travel raises here, in
    // the caller, as Python's pickling errors do.
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < items.length; i += chunksize) chunks.push(this.#encodeChunk(items.slice(i, i + chunksize), opts));
    let kw: Uint8Array | null = null;
    if (kwargs && Object.keys(kwargs).length) {
      refuseShared(kwargs);
      kw = new Uint8Array(encode(reduceValue(kwargs, opts)));
    }
    const job = this.#nextJob++;
    this.#jobs.set(job, sink);
    this.#chunksLeft.set(job, chunks.length);
    sink._job = job;
    this.#port.postMessage({ op: "submit", job, module: ref.module, path: ref.path, star, kwargs: kw, chunks } satisfies MainToHost);
    if ((sink as any)._hasCallbacks) this.#ensureAsyncPump();
  }

  // --- the API -------------------------------------------------------------------------------

  /** Call `func(...args, kwds)` in a worker and wait for the result. */
  apply<F extends AnyFn>(func: F, args: unknown[] = [], kwds: Record<string, unknown> = {}): Awaited<ReturnType<F>> {
    return this.apply_async(func, args, kwds).get() as Awaited<ReturnType<F>>;
  }

  /** Call `func(...args, kwds)` in a worker; returns an AsyncResult (also awaitable). */
  apply_async<F extends AnyFn>(func: F, args: unknown[] = [], kwds: Record<string, unknown> = {},
    callback?: ((r: Awaited<ReturnType<F>>) => unknown) | null | Omit<MapOptions<Awaited<ReturnType<F>>>, "chunksize">, error_callback?: ((e: unknown) => unknown) | null): ApplyResult<Awaited<ReturnType<F>>> {
    this.#check();
    if (callback !== null && typeof callback === "object") ({ callback, error_callback } = callback);
    const r = new ApplyResult<Awaited<ReturnType<F>>>(this, callback as ((r: Awaited<ReturnType<F>>) => unknown) | null, error_callback);
    this.#submit(r, func, [[...args]], 1, true, kwds);
    return r;
  }

  #chunked(func: AnyFn, iterable: Iterable<unknown>, chunksize: number | null | undefined, star: boolean, callback?: ((r: any) => unknown) | null, errorCallback?: ((e: unknown) => unknown) | null): MapResult<any> {
    this.#check();
    const items = Array.isArray(iterable) ? iterable : [...iterable];
    let size = chunksize ?? 0;
    if (chunksize === null || chunksize === undefined) {
      size = Math.floor(items.length / (this.#poolSize * 4));
      if (items.length % (this.#poolSize * 4)) size += 1;
    }
    if (items.length === 0) size = 0;
    const r = new MapResult<any>(this, size, items.length, callback, errorCallback);
    if (size > 0) this.#submit(r, func, items, size, star, null);
    return r;
  }

  /** Apply `func` to each item, in chunks (one BullMQ job each); the results in input order. */
  map<F extends AnyFn>(func: F, iterable: Iterable<Parameters<F>[0]>, chunksize?: number | null): Awaited<ReturnType<F>>[] {
    return this.#chunked(func, iterable, chunksize, false).get();
  }

  /** map() returning a MapResult (also awaitable). */
  map_async<F extends AnyFn>(func: F, iterable: Iterable<Parameters<F>[0]>, chunksize?: number | null | MapOptions<Awaited<ReturnType<F>>[]>, callback?: ((r: Awaited<ReturnType<F>>[]) => unknown) | null, error_callback?: ((e: unknown) => unknown) | null): MapResult<Awaited<ReturnType<F>>> {
    if (chunksize !== null && typeof chunksize === "object") ({ chunksize, callback, error_callback } = chunksize);
    return this.#chunked(func, iterable, chunksize, false, callback, error_callback);
  }

  /** Like map(), with each item unpacked as arguments: `func(...item)`. */
  starmap<F extends AnyFn>(func: F, iterable: Iterable<Parameters<F>>, chunksize?: number | null): Awaited<ReturnType<F>>[] {
    return this.#chunked(func, iterable, chunksize, true).get();
  }

  /** starmap() returning a MapResult. */
  starmap_async<F extends AnyFn>(func: F, iterable: Iterable<Parameters<F>>, chunksize?: number | null | MapOptions<Awaited<ReturnType<F>>[]>, callback?: ((r: Awaited<ReturnType<F>>[]) => unknown) | null, error_callback?: ((e: unknown) => unknown) | null): MapResult<Awaited<ReturnType<F>>> {
    if (chunksize !== null && typeof chunksize === "object") ({ chunksize, callback, error_callback } = chunksize);
    return this.#chunked(func, iterable, chunksize, true, callback, error_callback);
  }

  #imap<T>(it: IMapIterator<T>, func: AnyFn, iterable: Iterable<unknown>, chunksize: number): IMapIterator<T> {
    const source = iterable[Symbol.iterator]();
    const items: unknown[] = [];
    let failure: { error: unknown } | null = null;
    try {
      for (let n = source.next(); !n.done; n = source.next()) items.push(n.value);
    } catch (error) {
      // The input failed: the results of the whole chunks before it come first, then this error.
      failure = { error };
      items.length -= items.length % chunksize;
    }
    let length = Math.ceil(items.length / chunksize);
    if (items.length) this.#submit(it, func, items, chunksize, false, null);
    if (failure) it._set(length++, false, failure.error);
    it._length = length;
    return it;
  }

  /**
   * A lazy iterator of the results in input order (next(timeout), for...of, for await...of).
   * @throws ValueError "Chunksize must be 1+, not 0".
   */
  imap<F extends AnyFn>(func: F, iterable: Iterable<Parameters<F>[0]>, chunksize: number = 1): IMapIterator<Awaited<ReturnType<F>>> | Generator<Awaited<ReturnType<F>>> {
    this.#check();
    if (chunksize < 1) throw new py.ValueError(`Chunksize must be 1+, not ${chunksize}`);
    if (chunksize === 1) return this.#imap(new IMapIterator(this), func, iterable, 1);
    const chunks = this.#imap(new IMapIterator<unknown[]>(this, true), func, iterable, chunksize);
    return (function* () {
      for (const chunk of chunks as Iterable<unknown[]>) yield* chunk as Awaited<ReturnType<F>>[];
    })();
  }

  /** Like imap(), but results come in completion order. */
  imap_unordered<F extends AnyFn>(func: F, iterable: Iterable<Parameters<F>[0]>, chunksize: number = 1): IMapIterator<Awaited<ReturnType<F>>> | Generator<Awaited<ReturnType<F>>> {
    this.#check();
    if (chunksize < 1) throw new py.ValueError(`Chunksize must be 1+, not ${chunksize}`);
    if (chunksize === 1) return this.#imap(new IMapUnorderedIterator(this), func, iterable, 1);
    const chunks = this.#imap(new IMapUnorderedIterator<unknown[]>(this, true), func, iterable, chunksize);
    return (function* () {
      for (const chunk of chunks as Iterable<unknown[]>) yield* chunk as Awaited<ReturnType<F>>[];
    })();
  }

  /** Prevent any more tasks; the local workers exit once every outstanding chunk has its result. */
  close(): void {
    if (this.#state === States.RUN) {
      this.#state = States.CLOSE;
      this.#port.postMessage({ op: "close" } satisfies MainToHost);
    }
  }

  /** Stop at once: outstanding chunks are removed from the queue, workers drop the running ones, local workers stop. */
  terminate(): void {
    if (this.#state !== States.TERMINATE) {
      this.#state = States.TERMINATE;
      this.#port.postMessage({ op: "terminate" } satisfies MainToHost);
    }
  }

  /**
   * Wait for the local workers to exit and the Pool's keys to be removed. Only after close() or terminate().
   * @throws ValueError "Pool is still running".
   */
  join(): void {
    if (this.#state === States.RUN) throw new py.ValueError("Pool is still running");
    this.#joining = true;
    try {
      this._waitUntil(() => this.#closed || this.#hostGone(), Infinity);
    } finally {
      this.#joining = false;
    }
  }

  #hostGone(): boolean {
    return Atomics.load(this.#control, kHostGone) !== 0;
  }

  /** Non-blocking twin of join(). */
  async join_async(): Promise<void> {
    if (this.#state === States.RUN) throw new py.ValueError("Pool is still running");
    this.#joining = true;
    try {
      await this._waitUntilAsync(() => this.#closed || this.#hostGone(), Infinity);
    } finally {
      this.#joining = false;
    }
  }

  /** `with Pool(...) as pool:` — runs `fn(pool)`, then terminate(), as Python's __exit__. */
  with<T>(fn: (pool: this) => T): T {
    this.#check();
    try {
      return fn(this);
    } finally {
      this.terminate();
    }
  }
  /** Python's `__enter__`. */
  __enter__(): this {
    this.#check();
    return this;
  }
  /** Python's `__exit__`: terminate(). */
  __exit__(): void {
    this.terminate();
  }
  /** terminate() at the end of a `using` scope. */
  [Symbol.dispose](): void {
    this.terminate();
  }

  /** `<multiprocessing.pool.Pool state=RUN pool_size=2>`. */
  __repr__(): string {
    return `<multiprocessing.pool.Pool state=${this.#state} pool_size=${this.#poolSize}>`;
  }
}
