// Port of CPython Lib/multiprocessing/queues.py (PSF-2.0): Queue, JoinableQueue, SimpleQueue,
// over the shared-memory channel (shared/channel.ts) instead of a pipe and a feeder thread.
// Like Python's feeder thread, put() never blocks on a full channel: the item waits in this
// process's backlog, which is flushed by later queue calls, by every blocking wait of the library,
// by the event loop, and at process exit (join_thread()).
// Differs from Python: items are copied (not pickled) at put() time, so errors raise in put();
// a consumer terminated in the middle of get() leaves the queue intact (see channel.ts).

import { addressOf, atExit } from "./shared/current.js";
import { Channel, kEOF, kTimeout } from "./shared/channel.js";
import { decode, encode } from "./shared/codec.js";
import { PyObject } from "./shared/pyobject.js";
import { AssertionError, OSError, OverflowError, TypeError, ValueError } from "./shared/pyerrors.js";
import { newSharedId, register, rebuildOnce, rememberShared } from "./shared/reduction.js";
import * as sem from "./shared/semlock.js";
import { Empty, Full } from "./errors.js";
import { anyValue, as, noArgs, p, sig, type Bound } from "./shared/binder.js";
import * as cv from "./shared/convert.js";

export { Empty, Full } from "./errors.js";

/** Keyword arguments of put() and get(). */
export interface BlockOptions {
  block?: boolean;
  /** Seconds; null waits forever. */
  timeout?: number | null;
}

/** Keyword arguments of the Queue constructors. */
export interface QueueOptions {
  /** Bytes of shared memory for items in flight (default 1 MiB); larger items are streamed. */
  capacity?: number;
}

const kDefaultCapacity = 1 << 20;

// --- signatures (shared/binder.ts) ------------------------------------------------------------
// `obj` is positional-only here: a plain object in its place is the item, whatever its keys.

const PUT = sig("Queue.put", [p("obj", null, { kind: "positional-only", object: anyValue }), p("block", cv.semBlock, { default: true }), p("timeout", cv.semTimeout, { default: null })], { method: true });
const GET = sig("Queue.get", [p("block", cv.truthy, { default: true }), p("timeout", as<number | null>(), { default: null })], { method: true });
const PUT_NOWAIT = sig("Queue.put_nowait", [p("obj", null, { kind: "positional-only", object: anyValue })], { method: true });
const SIMPLE_PUT = sig("SimpleQueue.put", [p("obj", null, { kind: "positional-only", object: anyValue })], { method: true });
/** Arguments of put(): `(obj)`, `(obj, false)`, `(obj, true, 0.5)`, `(obj, { timeout: 0.5 })`. */
export type PutArgs<T> = Bound<typeof PUT, { obj: T }>;
/** Arguments of get(): `()`, `(false)`, `(true, 0.5)`, `({ timeout: 0.5 })`. */
export type GetArgs = Bound<typeof GET>;

/** put()'s arguments: block, and the parsed timeout (SemLock checks its range only when it waits). */
function putArgs<T>(args: PutArgs<T>): [T, boolean, number | null] {
  if (args.length === 1) return [args[0] as T, true, null];
  return PUT.bind(args) as [T, boolean, number | null];
}

/** Milliseconds get() waits at most, with the errors of CPython's Queue.get for the same arguments. */
function getMs(args: GetArgs): number {
  if (args.length === 0) return Infinity;
  const [block, timeout] = GET.bind(args);
  if (!block) {
    cv.semTimeout(timeout); // _rlock.acquire(False, timeout) parses it
    return 0;
  }
  return cv.pollWaitMs(cv.pollTimeout(timeout)); // time.monotonic() + timeout, then poll()
}

// --- the backlog of items put while the channel was full ------------------------------------------

const pending = new Set<Queue<any>>();
let flushTimer: NodeJS.Timeout | null = null;
let pumping = false;

function flushPending(): boolean {
  // Called from inside blocking waits: never re-entered, and a queue that is already flushing
  // further up the stack is skipped (see Queue._flush).
  if (pumping) return pending.size > 0;
  pumping = true;
  try {
    for (const q of pending) if (q._flush(0)) pending.delete(q);
  } finally {
    pumping = false;
  }
  return pending.size > 0;
}

function schedule(q: Queue<any>): void {
  pending.add(q);
  sem.addIdleService(flushPending);
  // The event loop keeps flushing while this process does other things (the timer is ref'd:
  // like Python's feeder thread, a backlog keeps the process from exiting until it is delivered).
  flushTimer ??= setTimeout(function tick() {
    flushTimer = null;
    if (flushPending()) flushTimer = setTimeout(tick, 1);
  }, 1);
}

atExit(() => {
  // join_thread() for every queue this process put into: deliver what is still in the backlog.
  for (const q of pending) if (!q._cancelled) q._flush(Infinity);
  pending.clear();
  // Cleared and forgotten: a reused forkserver worker's next process schedules its own.
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
}, 10);

// --- Queue ----------------------------------------------------------------------------------

// Queue cells: slots free (a semaphore, with its sleeper count), then unfinished tasks
const kSlots = 0;
const kUnfinished = sem.kSemCells + 16; // its own cache line
// An unbounded queue needs no slot semaphore: it counts puts and gets instead, each on its own
// cache line, so producers and consumers never write the same line (qsize() = puts - gets).
const kPuts = kUnfinished + 16;
const kGets = kPuts + 16;

/** A multi-producer, multi-consumer FIFO queue between processes. */
export class Queue<T = any> extends PyObject {
  #ch: Channel | null;
  /**
   * @internal this process's view of the queue's ring; released at close() (once the backlog is
   * delivered), so a closed queue holds no shared memory even while something still references it.
   * @throws OSError "handle is closed" after that, as Python's closed reader does.
   */
  get _ch(): Channel {
    if (this.#ch === null) throw new OSError("handle is closed");
    return this.#ch;
  }
  /** @internal */
  readonly _cells: Int32Array;
  /** @internal */
  readonly _maxsize: number;
  /** @internal */
  readonly _id: string;
  #closed = false;
  /** @internal */
  _cancelled = false;
  /** @internal true once the queue was sent to another thread (or came from one). */
  _shared = false;
  #backlog: Uint8Array[] = [];

  constructor(maxsize: number = 0, options: QueueOptions = {}, state?: { ch: SharedArrayBuffer; cells: Int32Array; maxsize: number; id: string }) {
    super();
    if (state) {
      this.#ch = new Channel(state.ch);
      this._shared = true;
      this._cells = state.cells;
      this._maxsize = state.maxsize;
      this._id = state.id;
      return;
    }
    if (typeof maxsize !== "number") throw new TypeError(`'<=' not supported between instances of '${typeof maxsize === "string" ? "str" : typeof maxsize}' and 'int'`);
    if (maxsize > sem.SEM_VALUE_MAX) throw new OverflowError("Python int too large to convert to C int");
    this._maxsize = maxsize <= 0 ? sem.SEM_VALUE_MAX : maxsize;
    this.#ch = Channel.create(options.capacity ?? kDefaultCapacity);
    this._cells = new Int32Array(new SharedArrayBuffer(4 * (kGets + 1)));
    this._cells[kSlots] = this._maxsize;
    this._id = newSharedId();
    rememberShared(this._id, this);
  }

  #checkClosed(): void {
    if (this.#closed) throw new ValueError(`Queue ${this.__repr__()} is closed`);
  }

  /**
   * Put `obj` into the queue. If the queue is bounded and full, wait up to `timeout` seconds for
   * a free slot (`block` false: do not wait).
   * @throws Full when no slot became free; ValueError when closed; RuntimeError for shared objects.
   */
  put(...args: PutArgs<T>): void {
    const [obj, block, timeout] = putArgs(args);
    this.#checkClosed();
    const payload = this.#encode(obj);
    if (payload === null) return;
    if (this._maxsize === sem.SEM_VALUE_MAX) Atomics.add(this._cells, kPuts, 1);
    else if (!sem.semTryAcquire(this._cells, kSlots) && !(block && sem.semAcquire(this._cells, kSlots, cv.semWaitMs(block, timeout)))) throw new Full();
    this._beforePut();
    this.#send(payload);
  }

  /** Non-blocking twin of put(). */
  async put_async(...args: PutArgs<T>): Promise<void> {
    const [obj, block, timeout] = putArgs(args);
    this.#checkClosed();
    const encoded = this.#encode(obj);
    if (encoded === null) return;
    const payload = Buffer.from(encoded);
    if (this._maxsize === sem.SEM_VALUE_MAX) Atomics.add(this._cells, kPuts, 1);
    else if (!sem.semTryAcquire(this._cells, kSlots) && !(block && (await sem.semAcquireAsync(this._cells, kSlots, cv.semWaitMs(block, timeout))))) throw new Full();
    this._beforePut();
    this.#send(payload);
  }

  /** Equivalent to `put(obj, false)`. */
  put_nowait(...args: Bound<typeof PUT_NOWAIT, { obj: T }>): void {
    const [obj] = args.length === 1 ? [args[0]] : PUT_NOWAIT.bind(args);
    this.put(obj as T, false);
  }

  /** @internal hook for JoinableQueue */
  _beforePut(): void {}

  /**
   * Hook called when an item given to put() cannot be serialized, with the error and the item;
   * for overriding by subclasses (as in Python, where concurrent.futures overrides it). An
   * override that returns lets put() return with the item dropped, and the queue goes on.
   * Differs from Python: serialization happens in put() (there is no feeder thread), and the
   * default hook raises the error from put() instead of printing its traceback from the feeder.
   * @throws the error it is given (the default).
   */
  static _on_queue_feeder_error(e: unknown, _obj: unknown): void {
    throw e;
  }

  /** The item's bytes, or null when the class's _on_queue_feeder_error hook took the error. */
  #encode(obj: unknown): Uint8Array | null {
    try {
      return encode(obj);
    } catch (e) {
      (this.constructor as typeof Queue)._on_queue_feeder_error(e, obj);
      return null;
    }
  }

  #send(payload: Uint8Array): void {
    // Keep this process's items in order: nothing overtakes the backlog or a half-sent stream.
    if (this.#backlog.length === 0 && !this.#flushing) {
      // Written, or staged in the channel while another producer holds its write lock (the
      // frames then go out with this thread's next write, or from the backlog service).
      if (this._ch.writeOrStage(payload)) {
        if (this._ch.streaming || this._ch.staged) schedule(this);
        return;
      }
    }
    // A large item that cannot start now, or anything behind a half-sent stream.
    this.#backlog.push(Buffer.from(payload));
    // Retry only once a good part of the ring is free again: retrying on every put() while it is
    // full would take the write lock each time and bounce the channel's cache line with the readers.
    if (this._ch.streaming || this._ch.hasRoom(this._ch.capacity >> 2)) this._flush(0);
    if (this.#backlog.length || this._ch.streaming) schedule(this);
  }

  #flushing = false;

  /** @internal writes backlog items (waiting up to `ms`); returns true when all is delivered. */
  _flush(ms: number): boolean {
    if (this.#flushing) return false;
    this.#flushing = true;
    try {
      const deadline = performance.now() + ms;
      const left = () => Math.max(0, deadline - performance.now());
      // Oldest first: a half-sent stream, the frames staged in the channel, then the backlog.
      const ch = this._ch;
      if (ch.streaming && !ch.flush(left())) return false;
      if (!ch.flushStaged(left())) return false;
      while (this.#backlog.length) {
        // Not waiting: items join the staged frames when another producer holds the lock.
        if (!(ms <= 0 ? ch.writeOrStage(this.#backlog[0]!) : ch.write(this.#backlog[0]!, left()))) return false;
        this.#backlog.shift(); // accepted: written, staged, or now owned by the channel's stream
        if (ch.streaming && !ch.flush(left())) return false;
      }
      if (!ch.flushStaged(left())) return false;
      if (this.#closed) this.#release();
      return true;
    } finally {
      this.#flushing = false;
    }
  }

  /**
   * Drops this process's reference to the ring once it is closed and owes nothing to it. The
   * ring (1 MiB by default) is freed by the next garbage collection, even though the Queue
   * object itself may outlive the current job (a WeakRef keeps it until the event loop turns).
   */
  #release(): void {
    if (this.#ch === null || this.#backlog.length || this.#ch.streaming || this.#ch.staged) return;
    if (!this._shared && this.#ch.isEmpty()) this.#ch.recycle();
    this.#ch = null;
    pending.delete(this);
  }

  #take(ms: number): T | typeof kTimeout {
    const ch = this._ch;
    const abandoned = ch.abandonedMessages;
    const r = ch.read(ms, decode);
    // A producer killed in the middle of a large put() counted an item that never came whole:
    // uncount it (and give back its slot), as the reader dropped the part it got.
    for (let n = ch.abandonedMessages - abandoned; n > 0; n--) {
      if (this._maxsize === sem.SEM_VALUE_MAX) Atomics.add(this._cells, kGets, 1);
      else sem.semRelease(this._cells, kSlots, this._maxsize);
    }
    if (r === kTimeout || r === kEOF) return kTimeout;
    if (this._maxsize === sem.SEM_VALUE_MAX) Atomics.add(this._cells, kGets, 1);
    else sem.semRelease(this._cells, kSlots, this._maxsize);
    return r as T;
  }

  /**
   * Remove and return an item. Waits up to `timeout` seconds for one (`block` false: do not wait).
   * @throws Empty when no item arrived; ValueError when closed.
   */
  get(...args: GetArgs): T {
    const ms = getMs(args);
    this.#checkClosed();
    if (this.#backlog.length || this._ch.staged) this._flush(0);
    const r = this.#take(ms);
    if (r === kTimeout) throw new Empty();
    return r;
  }

  /** Non-blocking twin of get(). */
  async get_async(...args: GetArgs): Promise<T> {
    const ms = getMs(args);
    this.#checkClosed();
    const deadline = performance.now() + ms;
    for (;;) {
      const r = this.#take(0);
      if (r !== kTimeout) return r;
      const left = deadline - performance.now();
      if (left <= 0 || !(await this._ch.pollAsync(left))) {
        const last = this.#take(0);
        if (last !== kTimeout) return last;
        throw new Empty();
      }
    }
  }

  /** Equivalent to `get(false)`. */
  get_nowait(...none: []): T {
    noArgs("Queue.get_nowait", none);
    return this.get(false);
  }

  /** The approximate number of items in the queue (items put and not yet got). */
  qsize(): number {
    if (this._maxsize === sem.SEM_VALUE_MAX) return (Atomics.load(this._cells, kPuts) - Atomics.load(this._cells, kGets)) | 0;
    return this._maxsize - Atomics.load(this._cells, kSlots);
  }

  /** True if the queue holds no item that a get() could take now. */
  empty(): boolean {
    return this._ch.isEmpty();
  }

  /** True if the queue is bounded and has no free slot. */
  full(): boolean {
    return Atomics.load(this._cells, kSlots) === 0;
  }

  /** This process will put no more data; later put()/get() raise ValueError. */
  close(): void {
    this.#closed = true;
    this.#release();
  }

  /**
   * Wait until this process's backlog is delivered. Only after close().
   * @throws AssertionError "Queue ... not closed".
   */
  join_thread(): void {
    if (!this.#closed) throw new AssertionError(`Queue ${this.__repr__()} not closed`);
    if (this.#ch !== null) this._flush(Infinity);
    pending.delete(this);
  }

  /** Do not deliver this process's backlog at exit (the items may be lost). */
  cancel_join_thread(): void {
    this._cancelled = true;
  }

  /** `<multiprocessing.queues.Queue object at 0x7f…>`. */
  __repr__(): string {
    return `<multiprocessing.queues.${this.constructor.name} object at ${addressOf(this)}>`;
  }
}

/** A Queue that also tracks unfinished tasks: task_done() and join(). */
export class JoinableQueue<T = any> extends Queue<T> {
  override _beforePut(): void {
    Atomics.add(this._cells, kUnfinished, 1);
  }

  /**
   * Indicate that a formerly enqueued task is complete.
   * @throws ValueError "task_done() called too many times".
   */
  task_done(): void {
    for (let v = Atomics.load(this._cells, kUnfinished); ; ) {
      if (v <= 0) throw new ValueError("task_done() called too many times");
      const seen = Atomics.compareExchange(this._cells, kUnfinished, v, v - 1);
      if (seen === v) {
        if (v === 1) sem.wake(this._cells, kUnfinished); // the last task: wake join()
        return;
      }
      v = seen;
    }
  }

  /** Block until every item put into the queue has been got and task_done() was called for it. */
  join(): void {
    for (let v = Atomics.load(this._cells, kUnfinished); v !== 0; v = Atomics.load(this._cells, kUnfinished)) {
      sem.waitWhile(this._cells, kUnfinished, v, Infinity);
    }
  }

  /** Non-blocking twin of join(). */
  async join_async(): Promise<void> {
    for (let v = Atomics.load(this._cells, kUnfinished); v !== 0; v = Atomics.load(this._cells, kUnfinished)) {
      await sem.waitWhileAsync(this._cells, kUnfinished, v, Infinity);
    }
  }
}

/** A simplified queue: put(), get(), empty(), close(). */
export class SimpleQueue<T = any> extends PyObject {
  #ch: Channel | null;
  /** @internal the ring; released at close(), as Queue's. */
  get _ch(): Channel {
    if (this.#ch === null) throw new OSError("handle is closed");
    return this.#ch;
  }
  /** @internal */
  readonly _id: string;
  #closed = false;

  constructor(options: QueueOptions = {}, state?: { ch: SharedArrayBuffer; id: string }) {
    super();
    if (state) {
      this.#ch = new Channel(state.ch);
      this._id = state.id;
      return;
    }
    this.#ch = Channel.create(options.capacity ?? kDefaultCapacity);
    this._id = newSharedId();
    rememberShared(this._id, this);
  }
  #check(): void {
    if (this.#closed) throw new OSError("handle is closed");
  }
  /** Put an item (waits for room in the channel if it is full). */
  put(...args: Bound<typeof SIMPLE_PUT, { obj: T }>): void {
    const [obj] = args.length === 1 ? [args[0]] : SIMPLE_PUT.bind(args);
    this.#check();
    this._ch.write(encode(obj), Infinity);
  }
  /** Remove and return an item, waiting for one. */
  get(...none: []): T {
    if (none.length) noArgs("SimpleQueue.get", none);
    this.#check();
    return this._ch.read(Infinity, decode) as T;
  }
  /** Non-blocking twin of get(). */
  async get_async(): Promise<T> {
    this.#check();
    for (;;) {
      const r = this._ch.read(0, decode);
      if (r !== kTimeout && r !== kEOF) return r as T;
      await this._ch.pollAsync(Infinity);
    }
  }
  /** True if the queue is empty. */
  empty(): boolean {
    this.#check();
    return this._ch.isEmpty();
  }
  /** Close the queue: later put()/get()/empty() raise OSError. */
  close(): void {
    this.#closed = true;
    this.#ch = null;
  }
  /** `<multiprocessing.queues.SimpleQueue object at 0x7f…>`. */
  __repr__(): string {
    return `<multiprocessing.queues.SimpleQueue object at ${addressOf(this)}>`;
  }
}


for (const [name, Cls] of [["Queue", Queue], ["JoinableQueue", JoinableQueue]] as const) {
  register(name, Cls, {
    reduce: (q: Queue) => {
      q._shared = true;
      return { ch: q._ch.sab, cells: q._cells, maxsize: q._maxsize, id: q._id };
    },
    rebuild: (s) => rebuildOnce(s.id, () => new Cls(0, {}, s)),
  });
}
register("SimpleQueue", SimpleQueue, {
  reduce: (q: SimpleQueue) => ({ ch: q._ch.sab, id: q._id }),
  rebuild: (s) => rebuildOnce(s.id, () => new SimpleQueue({}, s)),
});
