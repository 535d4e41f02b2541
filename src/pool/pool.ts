// The Pool of CPython Lib/multiprocessing/pool.py (PSF-2.0), on piscina. Part of the pool module.
// Design: piscina dispatches on its own thread's event loop, but Python's map() blocks the
// calling thread (the main thread included). So piscina lives in a host worker
// (worker/pool_host.ts); this side posts chunks to it on a MessagePort and, to get results,
// waits on a shared counter with Atomics.wait and drains the port with receiveMessageOnPort.
// Nothing here needs this thread's event loop, so map() works while it is blocked; the Promise
// forms (awaitable results, `for await` over imap) wait with Atomics.waitAsync instead. A wait
// for one job's completion (map, get, wait) tells the host which job, and sleeps until that job
// is complete; a wait for anything else (imap's next item, join) is woken by every message.
// Differs from Python: workers are threads of one process (named SpawnPoolWorker-N), and
// piscina's figures are exposed as pool.stats().

import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { current } from "../shared/current.js";
import { envSnapshot, envVersion } from "../shared/envdata.js";
import { encode, isPrimitiveArray, packItems, unpackItems, warmUp, type PackedItems } from "../shared/codec.js";
import { PyObject } from "../shared/pyobject.js";
import * as py from "../shared/pyerrors.js";
import { checkNotImportingMain } from "../shared/bootstrapping.js";
import { globalRefOf, modulesOf, reduceValue, type GlobalRef, type ReduceOptions } from "../shared/reduction.js";
import { addIdleService, removeIdleService, waitWhile, waitWhileAsync } from "../shared/semlock.js";
import { kAnyMessage, kControlCells, kHostGone, kPosted, kWaitFor, type HostToMainMessage, type MainToHostMessage, type PoolStats, type PoolWorkerData } from "../shared/pool_protocol.js";
import { callerModule, definingModule } from "../popen/locate.js";
import { newWorker } from "../popen/worker_thread.js";
import { esmDir, libraryDir } from "../popen/index.js";
import { ApplyResult, IMapIterator, IMapUnorderedIterator, MapResult, rebuildError, type Sink } from "./results.js";
import { anyValue, as, callableValue, noArgs, p, sig, type Bound, type BoundEach, type KeywordSplit } from "../shared/binder.js";
import * as cv from "../shared/convert.js";

type AnyFn = (...args: any[]) => unknown;
/** A pool function: a function, or a callable object (Python's `__call__` protocol). */
type Callable = AnyFn | { __call__: AnyFn };
/** The function a Callable calls. */
type Fn<F> = F extends AnyFn ? F : F extends { __call__: infer C extends AnyFn } ? C : never;

/** Keyword arguments of Pool(). */
export interface PoolOptions {
  /** Number of worker threads; defaults to cpu_count(). */
  processes?: number | boolean | null;
  /** Called as initializer(...initargs) once in every worker, replacements included. */
  initializer?: AnyFn | null;
  /** Arguments of the initializer: may hold shared objects (Queue, Value, Lock...). */
  initargs?: unknown[];
  /** Replace a worker after it has run this many tasks (chunks); null: never. */
  maxtasksperchild?: number | null;
  /**
   * Heap and stack limits of each worker thread, in MB (Node's Worker `resourceLimits`); a worker
   * that runs out of them ends, and the chunk it ran fails. Not in Python (keyword-only).
   */
  resourceLimits?: cv.ResourceLimits | null;
}

/** Keyword arguments of map_async() and friends. */
export interface MapOptions<R> {
  chunksize?: number | null;
  callback?: ((result: R) => unknown) | null;
  error_callback?: ((error: unknown) => unknown) | null;
  /** Cancels the job's outstanding chunks (queued ones are dropped, running ones stopped). Not in Python. */
  signal?: AbortSignal | null;
}

/** Keyword arguments of apply_async() as one options object. */
export type ApplyOptions<R> = Omit<MapOptions<R>, "chunksize">;

// --- signatures (shared/binder.ts) ------------------------------------------------------------

type Cb<R> = ((result: R) => unknown) | null;
type ErrCb = ((error: unknown) => unknown) | null;
const fn = () => p("func", as<Callable>(), { object: callableValue });
const it = () => p("iterable", cv.iterable());
const callbacks = () => [
  p("callback", as<Cb<any>>(), { default: null, object: callableValue }),
  p("error_callback", as<ErrCb>(), { default: null, object: callableValue }),
  p("signal", as<AbortSignal | null>(), { kind: "keyword-only", default: null }),
] as const;
const poolParams = [
  p("processes", cv.poolProcesses, { default: null }),
  p("initializer", cv.optCallable<AnyFn>("initializer must be a callable"), { default: null, object: callableValue }),
  p("initargs", cv.iterable(), { default: [] }),
  p("maxtasksperchild", cv.maxtasksperchild, { default: null }),
] as const;
const resourceLimits = p("resourceLimits", cv.resourceLimits, { kind: "keyword-only", default: null });
/** `Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None, context=None, *, resourceLimits=None)`. */
export const POOL_INIT = sig("Pool.__init__", [...poolParams, p("context", as<unknown>(), { default: null }), resourceLimits], { method: true });
/** `BaseContext.Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None, *, resourceLimits=None)`. */
export const CONTEXT_POOL = sig("BaseContext.Pool", [...poolParams, resourceLimits], { method: true });
const APPLY = sig("Pool.apply", [fn(), p("args", cv.iterable(), { default: [] }), p("kwds", as<Record<string, unknown>>(), { default: {}, object: anyValue })], { method: true });
const APPLY_ASYNC = sig("Pool.apply_async", [fn(), p("args", cv.iterable(), { default: [] }), p("kwds", as<Record<string, unknown>>(), { default: {}, object: anyValue }), ...callbacks()], { method: true });
const MAP = sig("Pool.map", [fn(), it(), p("chunksize", cv.mapChunksize, { default: null })], { method: true });
const MAP_ASYNC = sig("Pool.map_async", [fn(), it(), p("chunksize", cv.mapChunksize, { default: null }), ...callbacks()], { method: true });
const STARMAP = sig("Pool.starmap", [fn(), it(), p("chunksize", cv.mapChunksize, { default: null })], { method: true });
const STARMAP_ASYNC = sig("Pool.starmap_async", [fn(), it(), p("chunksize", cv.mapChunksize, { default: null }), ...callbacks()], { method: true });
const IMAP = sig("Pool.imap", [fn(), it(), p("chunksize", cv.imapChunksize, { default: 1 })], { method: true });
const IMAP_UNORDERED = sig("Pool.imap_unordered", [fn(), it(), p("chunksize", cv.imapChunksize, { default: 1 })], { method: true });

/** Arguments of `Pool(...)`. */
export type PoolArgs = Bound<typeof POOL_INIT, { initializer: AnyFn | null; initargs: Iterable<unknown> }>;
type R<F extends Callable> = Awaited<ReturnType<Fn<F>>>;
// `func(...args)`, or `func(...args, kwds)` when kwds is not empty (as Process's kwargs).
type Apply<F extends Callable> = { func: F; args: Parameters<Fn<F>>; kwds: Record<string, never>; callback: Cb<R<F>> } | WithKwds<F, KeywordSplit<Parameters<Fn<F>>>>;
type WithKwds<F extends Callable, S> = S extends { args: infer A; kw: infer K } ? { func: F; args: A; kwds: K; callback: Cb<R<F>> } : never;
type Over<F extends Callable, Item, Res> = { func: F; iterable: Iterable<Item>; callback: Cb<Res> };

/** Items in a job from which warming the codec up pays (shared/codec.ts warmUp()). */
const kWarmUpItems = 1024;

const States = { RUN: "RUN", CLOSE: "CLOSE", TERMINATE: "TERMINATE" } as const;

/** What a Pool's finalizer needs once the Pool itself is gone. */
interface PoolLife {
  running: boolean;
  repr: string;
  port: MessagePort;
}

// CPython's Pool.__del__: a pool collected while still running warns (ResourceWarning) and its
// workers are ended, so a dropped pool does not hold threads for the rest of the program.
const unclosed = new FinalizationRegistry<PoolLife>((life) => {
  if (!life.running) return;
  life.running = false;
  process.emitWarning(`unclosed running multiprocessing pool ${life.repr}`, "ResourceWarning");
  try {
    life.port.postMessage({ op: "terminate" } satisfies MainToHostMessage);
  } catch {
    // the host is already gone
  }
});
type State = (typeof States)[keyof typeof States];

/**
 * A process pool: tasks run in `processes` worker threads, managed by piscina.
 * Differs from Python: without an initializer the workers boot as work needs them (one for the
 * first task, the rest once work still waits 10 ms later), where CPython starts all of them in
 * the constructor; a short job may run on fewer workers (fewer distinct pids) than `processes`.
 */
export class Pool extends PyObject implements Disposable {
  readonly #host: Worker;
  readonly #port: MessagePort;
  #life!: PoolLife;
  readonly #control: Int32Array;
  readonly #processes: number;
  /** envVersion() when the workers were made: what was published since travels with each job. */
  readonly #envVersion = envVersion();
  readonly #jobs = new Map<number, Sink & { _hasCallbacks?: boolean }>();
  /** Chunks of each job not delivered yet. */
  readonly #chunksLeft = new Map<number, number>();
  readonly #caller: string | null;
  #nextJob = 0;
  #state: State = States.RUN;
  #closed = false; // the host has finished (after close/terminate)
  #broken: Error | null = null; // the host died: every wait for a result raises this
  #stats: PoolStats | null = null;
  #asyncPump: Promise<void> | null = null;

  /**
   * `Pool(processes)`, `Pool(processes, initializer, initargs, maxtasksperchild)` or
   * `Pool({ processes, initializer, initargs, maxtasksperchild })`.
   * @throws ValueError "Number of processes must be at least 1", "maxtasksperchild must be a positive int or None";
   * TypeError "initializer must be a callable".
   */
  constructor(...params: PoolArgs) {
    super();
    checkNotImportingMain(); // a Pool starts processes: not while a child imports its main module
    const [processes, initializer, initargs, maxtasksperchild, , limits] = POOL_INIT.bind(params);
    const n = processes ?? (availableParallelism() || 1);
    if (initializer !== null && typeof initializer !== "function") throw new py.TypeError("initializer must be a callable");
    this.#processes = n;
    this.#caller = callerModule(libraryDir);
    const opts = this.#reduceOptions("Pool initializer");
    const reducedInit = initializer ? reduceValue(initializer, opts) : null;
    const reducedArgs = reduceValue([...initargs], opts);
    const workerData: PoolWorkerData = {
      libraryEntry: new URL("index.js", esmDir).href,
      modules: [...modulesOf([reducedInit, reducedArgs])],
      initializer: reducedInit,
      initargs: reducedArgs,
      maxtasksperchild: maxtasksperchild ?? null,
      control: new Int32Array(new SharedArrayBuffer(4 * kControlCells)),
      parentName: current().name,
      parentPid: current().pid,
    };
    this.#control = workerData.control;
    this.#control[kWaitFor] = kAnyMessage;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#host = newWorker(new URL("worker/pool_host.js", esmDir), {
      workerData: { port: port2, control: this.#control, processes: n, poolWorkerData: workerData, resourceLimits: limits },
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    this.#host.on("error", () => {});
    this.#host.unref();
    port1.unref();
    this.#life = { running: true, repr: "", port: port1 };
    this.#life.repr = this.__repr__();
    unclosed.register(this, this.#life, this.#life);
  }

  #reduceOptions(what: string): ReduceOptions {
    return { locate: definingModule, defaultModule: this.#caller ?? undefined, what };
  }

  #check(): void {
    if (this.#state !== States.RUN) throw new py.ValueError("Pool not running");
  }

  // --- talking to the host -------------------------------------------------------------------

  #pump(): void {
    for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port)) {
      const msg = m.message as HostToMainMessage;
      if (msg.op === "results") {
        const job = this.#jobs.get(msg.job);
        if (!job) continue;
        // A job is forgotten once its last chunk is in (its result object lives on with the caller).
        const left = this.#chunksLeft.get(msg.job)! - msg.count;
        if (left > 0) this.#chunksLeft.set(msg.job, left);
        else {
          this.#jobs.delete(msg.job);
          this.#chunksLeft.delete(msg.job);
        }
        if (msg.error) {
          for (let k = 0; k < msg.count; k++) job._set(msg.first + k, false, rebuildError(msg.error));
          continue;
        }
        const values = unpackItems(msg.values!);
        const failed = msg.failures.length ? new Map(msg.failures) : null;
        const cs = msg.chunksize;
        for (let k = 0; k < msg.count; k++) {
          const failure = failed?.get(k);
          if (failure) job._set(msg.first + k, false, rebuildError(failure));
          else job._set(msg.first + k, true, cs === 0 ? values : values.slice(k * cs, (k + 1) * cs));
        }
      } else if (msg.op === "closed") {
        this.#closed = true;
      } else if (msg.op === "stats") {
        this.#stats = msg.stats;
      }
    }
  }

  /**
   * One round of a wait: delivers what has arrived; returns the wait's result (a boolean) when
   * it is over, else the counter value to sleep on.
   */
  #waitStep(done: () => boolean, deadline: number): boolean | number {
    // Read the counter before draining: a message posted after the drain bumps it, so the
    // sleep that follows returns at once instead of missing it.
    const seen = Atomics.load(this.#control, kPosted);
    this.#pump();
    if (done()) return true;
    if (this.#broken === null && !this.#closed && Atomics.load(this.#control, kHostGone) !== 0) this.#hostGone(done);
    if (this.#broken !== null) throw this.#broken;
    if (deadline - performance.now() <= 0 || (this.#closed && this.#state === States.TERMINATE)) return done();
    return seen;
  }

  /**
   * @internal blocks this thread until `done()` (or `ms` pass), delivering results meanwhile.
   * `job`: the job whose completion `done()` waits for, if that is all it waits for; the host
   * then wakes this thread only when that job is complete (or for a message other than
   * results), unless some other job has callbacks to run as its results come.
   */
  _waitUntil(done: () => boolean, ms: number, job = kAnyMessage): boolean {
    const deadline = performance.now() + ms;
    const filtered = job !== kAnyMessage && !this.#callbacksPending(job);
    // Set before the first read of the counter (see the host's announcePosted).
    if (filtered) Atomics.store(this.#control, kWaitFor, job);
    try {
      for (;;) {
        const step = this.#waitStep(done, deadline);
        if (typeof step === "boolean") return step;
        waitWhile(this.#control, kPosted, step, deadline - performance.now());
      }
    } finally {
      if (filtered) {
        Atomics.store(this.#control, kWaitFor, kAnyMessage);
        // Async waiters of this thread slept through the announcements the filter held back.
        Atomics.notify(this.#control, kPosted);
      }
    }
  }

  /**
   * The host thread ended without saying "closed" (only a bug of ours can do that): what it
   * posted before is delivered; then the pool is unusable, and every wait for what is not there
   * raises a RuntimeError naming the host's exit code, instead of hanging.
   */
  #hostGone(done: () => boolean): void {
    this.#pump();
    if (this.#closed || done()) return;
    this.#closed = true;
    this.#state = States.TERMINATE;
    this.#life.running = false;
    const code = Atomics.load(this.#control, kHostGone) - 1;
    this.#broken = new py.RuntimeError(`the Pool's host thread exited unexpectedly (exit code ${code}); the pool cannot be used any more`);
  }

  /**
   * True if a job with callbacks (other than job `except`, whose callbacks run when it completes)
   * is not complete: its results must be delivered as they come.
   */
  #callbacksPending(except = kAnyMessage): boolean {
    for (const [id, j] of this.#jobs) if (id !== except && j._hasCallbacks && !(j as any)._ready) return true;
    return false;
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

  /**
   * Delivers results to callbacks while this thread is blocked in any wait of the library (a
   * queue's get(), a lock, join(), time.sleep()): run by semlock's waitWhile() between slices.
   * It unregisters itself once no job with callbacks is pending.
   */
  readonly #deliverWhileBlocked = (): boolean => {
    try {
      this.#pump();
    } catch (err) {
      // A callback raised: as in the event-loop pump, the error surfaces as an uncaught one,
      // not in the unrelated wait that happened to run the callback.
      queueMicrotask(() => {
        throw err;
      });
    }
    if (!this.#closed && Atomics.load(this.#control, kHostGone) === 0 && this.#callbacksPending()) return true;
    removeIdleService(this.#deliverWhileBlocked);
    return false;
  };

  /** Delivers results to callbacks while nobody waits for them (CPython's result-handler thread). */
  #ensureAsyncPump(): void {
    addIdleService(this.#deliverWhileBlocked);
    this.#asyncPump ??= (async () => {
      // A terminated (or broken) pool delivers nothing more: the pump stops with it, instead of
      // keeping the event loop, and so the program, alive for results that never come.
      const pending = () => this.#callbacksPending() && !this.#closed;
      try {
        while (pending()) await this._waitUntilAsync(() => !pending(), Infinity);
      } catch {
        // the host died: the waits of the caller raise that error
      }
      this.#asyncPump = null;
    })();
  }

  /** Sends a job to the host: `items` cut into chunks of `chunksize`. */
  #submit(sink: Sink & { _hasCallbacks?: boolean }, fn: Callable, items: unknown[], chunksize: number, star: boolean, kwargs: Record<string, unknown> | null, cancellable = false): number {
    const job = this.#nextJob++;
    // A job long enough for the codec's speed to matter: optimize it first (a short script's few
    // items do not pay for the warm-up, tens of ms).
    if (items.length >= kWarmUpItems) warmUp();
    // A callable object (Python's `__call__` protocol) travels as an instance of its exported
    // class, by pickle's rules: refused here, in the caller, when it cannot.
    const self = typeof fn === "function" ? undefined : new Uint8Array(encode(fn));
    const target: Function = typeof fn === "function" ? fn : (fn as object).constructor;
    const ref: GlobalRef = globalRefOf(target, this.#reduceOptions("Pool task"));
    if (!ref.module) throw new py.TypeError(`cannot find the module of '${target.name}'`);
    const kw = kwargs && Object.keys(kwargs).length ? new Uint8Array(encode(kwargs)) : null;
    const count = Math.ceil(items.length / chunksize);
    // Primitives travel as one list (numbers as one typed array), cut into chunks where they run;
    // other items are encoded chunk by chunk, all before any is sent: an argument that cannot
    // travel raises here, in the caller, as Python's pickling errors do.
    let flat: PackedItems | null = null;
    let chunks: PackedItems[] | null = null;
    if (isPrimitiveArray(items)) {
      flat = packItems(items);
      if (flat instanceof Uint8Array) flat = items; // not all numbers: the list itself
    } else {
      chunks = [];
      for (let i = 0; i < items.length; i += chunksize) chunks.push(packItems(items.slice(i, i + chunksize)));
    }
    this.#jobs.set(job, sink);
    this.#chunksLeft.set(job, count);
    sink._job = job;
    const msg: MainToHostMessage = { op: "submit", job, spec: { fn: self ? { ...ref, self } : ref, star, kwargs: kw, chunksize, count, flat, chunks, env: envVersion() === this.#envVersion ? null : envSnapshot() }, cancellable };
    this.#port.postMessage(msg);
    if (sink._hasCallbacks) this.#ensureAsyncPump();
    return job;
  }

  #cancelOn(job: number, signal: AbortSignal | null | undefined): void {
    if (!signal) return;
    const cancel = () => this.#port.postMessage({ op: "cancel", job } satisfies MainToHostMessage);
    if (signal.aborted) cancel();
    else signal.addEventListener("abort", cancel, { once: true });
  }

  // --- the API -------------------------------------------------------------------------------

  /** Call `func(...args, kwds)` in a worker and wait for the result. */
  apply<F extends Callable>(...params: BoundEach<typeof APPLY, Apply<F>>): R<F> {
    const [func, args, kwds] = APPLY.bind(params);
    return (this.apply_async as (...a: unknown[]) => ApplyResult<R<F>>)(func, args, kwds).get();
  }

  /** Call `func(...args, kwds)` in a worker; returns an ApplyResult (also awaitable). */
  apply_async<F extends Callable>(...params: BoundEach<typeof APPLY_ASYNC, Apply<F>>): ApplyResult<R<F>> {
    const [func, args, kwds, callback, error_callback, signal] = APPLY_ASYNC.bind(params);
    this.#check();
    const r = new ApplyResult<R<F>>(this, callback, error_callback);
    this.#cancelOn(this.#submit(r, func, [[...args]], 1, true, kwds, !!signal), signal);
    return r;
  }

  #chunked(func: Callable, iterable: Iterable<unknown>, chunksize: number | null | undefined, star: boolean, callback?: ((r: any) => unknown) | null, errorCallback?: ((e: unknown) => unknown) | null, signal?: AbortSignal | null): MapResult<any> {
    this.#check();
    const items = Array.isArray(iterable) ? iterable : [...iterable];
    let size = chunksize ?? 0;
    if (chunksize === null || chunksize === undefined) {
      // CPython's divmod(len(iterable), len(self._pool) * 4), rounded up.
      size = Math.floor(items.length / (this.#processes * 4));
      if (items.length % (this.#processes * 4)) size += 1;
    }
    if (items.length === 0) size = 0;
    const r = new MapResult<any>(this, size, items.length, callback, errorCallback);
    if (size > 0) this.#cancelOn(this.#submit(r, func, items, size, star, null, !!signal), signal);
    return r;
  }

  /** Apply `func` to each item, in chunks; the results in input order. */
  map<F extends Callable>(...params: Bound<typeof MAP, Over<F, Parameters<Fn<F>>[0], R<F>[]>>): R<F>[] {
    const [func, iterable, chunksize] = MAP.bind(params);
    return this.#chunked(func, iterable, chunksize, false).get();
  }

  /** map() returning a MapResult (also awaitable). */
  map_async<F extends Callable>(...params: Bound<typeof MAP_ASYNC, Over<F, Parameters<Fn<F>>[0], R<F>[]>>): MapResult<R<F>> {
    const [func, iterable, chunksize, callback, error_callback, signal] = MAP_ASYNC.bind(params);
    return this.#chunked(func, iterable, chunksize, false, callback, error_callback, signal);
  }

  /** Like map(), with each item unpacked as arguments: `func(...item)`. */
  starmap<F extends Callable>(...params: Bound<typeof STARMAP, Over<F, Parameters<Fn<F>>, R<F>[]>>): R<F>[] {
    const [func, iterable, chunksize] = STARMAP.bind(params);
    return this.#chunked(func, iterable, chunksize, true).get();
  }

  /** starmap() returning a MapResult. */
  starmap_async<F extends Callable>(...params: Bound<typeof STARMAP_ASYNC, Over<F, Parameters<Fn<F>>, R<F>[]>>): MapResult<R<F>> {
    const [func, iterable, chunksize, callback, error_callback, signal] = STARMAP_ASYNC.bind(params);
    return this.#chunked(func, iterable, chunksize, true, callback, error_callback, signal);
  }

  #imap<T>(it: IMapIterator<T>, func: Callable, iterable: Iterable<unknown>, chunksize: number): IMapIterator<T> {
    const source = iterable[Symbol.iterator]();
    const items: unknown[] = [];
    let failure: { error: unknown } | null = null;
    try {
      for (let n = source.next(); !n.done; n = source.next()) items.push(n.value);
    } catch (error) {
      // The input failed: the results of the whole chunks before it come first, then this error
      // (the items of the chunk it interrupted are dropped, as Python's task generator does).
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
   * With a chunksize above 1 it is a generator over the chunks, as in Python.
   * @throws ValueError "Chunksize must be 1+, not 0".
   */
  imap<F extends Callable>(...params: Bound<typeof IMAP, Over<F, Parameters<Fn<F>>[0], never>>): IMapIterator<R<F>> | Generator<R<F>> {
    const [func, iterable, chunksize] = IMAP.bind(params);
    this.#check();
    if (chunksize === 1) return this.#imap(new IMapIterator(this), func, iterable, 1);
    const chunks = this.#imap(new IMapIterator<unknown[]>(this, true), func, iterable, chunksize);
    return (function* () {
      for (const chunk of chunks as Iterable<unknown[]>) yield* chunk as R<F>[];
    })();
  }

  /** Like imap(), but results come in completion order. */
  imap_unordered<F extends Callable>(...params: Bound<typeof IMAP_UNORDERED, Over<F, Parameters<Fn<F>>[0], never>>): IMapIterator<R<F>> | Generator<R<F>> {
    const [func, iterable, chunksize] = IMAP_UNORDERED.bind(params);
    this.#check();
    if (chunksize === 1) return this.#imap(new IMapUnorderedIterator(this), func, iterable, 1);
    const chunks = this.#imap(new IMapUnorderedIterator<unknown[]>(this, true), func, iterable, chunksize);
    return (function* () {
      for (const chunk of chunks as Iterable<unknown[]>) yield* chunk as R<F>[];
    })();
  }

  /** piscina's figures: tasks completed, utilization, run and wait times (ms). Not in Python. */
  stats(): PoolStats {
    if (this.#closed) throw new py.ValueError("Pool not running");
    this.#stats = null;
    this.#port.postMessage({ op: "stats" } satisfies MainToHostMessage);
    this._waitUntil(() => this.#stats !== null, 30_000);
    return this.#stats!;
  }

  /** Prevent any more tasks; the workers exit once the outstanding ones are done. */
  close(...none: []): void {
    if (none.length) noArgs("Pool.close", none);
    if (this.#state === States.RUN) {
      this.#state = States.CLOSE;
      this.#life.running = false;
      this.#port.postMessage({ op: "close" } satisfies MainToHostMessage);
    }
  }

  /** Stop the workers at once; outstanding work is dropped. */
  terminate(...none: []): void {
    if (none.length) noArgs("Pool.terminate", none);
    if (this.#state !== States.TERMINATE) {
      this.#state = States.TERMINATE;
      this.#life.running = false;
      this.#port.postMessage({ op: "terminate" } satisfies MainToHostMessage);
      // Results that are never coming must not keep waiters: the host reports "closed".
    }
  }

  /**
   * Wait for the workers to exit. Only after close() or terminate().
   * @throws ValueError "Pool is still running".
   */
  join(...none: []): void {
    if (none.length) noArgs("Pool.join", none);
    if (this.#state === States.RUN) throw new py.ValueError("Pool is still running");
    this._waitUntil(() => this.#closed, Infinity);
  }

  /** `with Pool(4) as pool:` — runs `fn(pool)`, then terminate(), as Python's __exit__. */
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
    return `<multiprocessing.pool.${this.constructor.name} state=${this.#state} pool_size=${this.#processes}>`;
  }
}

/** Pool's API under Python's ThreadPool name (workers are threads here in any case). */
export class ThreadPool extends Pool {}
