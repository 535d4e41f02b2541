// The result objects of CPython Lib/multiprocessing/pool.py (PSF-2.0): ApplyResult/AsyncResult,
// MapResult, IMapIterator, IMapUnorderedIterator, and RemoteTraceback. Part of the pool module.
import { addressOf } from "../shared/current.js";
import { decode } from "../shared/codec.js";
import { PyObject } from "../shared/pyobject.js";
import * as py from "../shared/pyerrors.js";
import { as, p, sig, type Bound } from "../shared/binder.js";
import { threadingWaitMs } from "../shared/convert.js";
import type { FlatError } from "../shared/pool_protocol.js";
import { TimeoutError } from "../errors.js";

const GET = sig("ApplyResult.get", [p("timeout", as<number | null>(), { default: null })], { method: true });
const WAIT = sig("ApplyResult.wait", [p("timeout", as<number | null>(), { default: null })], { method: true });
const NEXT = sig("IMapIterator.next", [p("timeout", as<number | null>(), { default: null })], { method: true });
/** Arguments of get(), wait() and next(): `()`, `(0.5)`, `({ timeout: 0.5 })`. */
export type TimeoutArgs = Bound<typeof GET>;

/** What the results need from their pool: waiting for its messages, blocking or not. */
export interface ResultSource {
  _waitUntil(done: () => boolean, ms: number, job?: number): boolean;
  _waitUntilAsync(done: () => boolean, ms: number): Promise<boolean>;
}


/** The worker's traceback of a task's exception, as its `cause` (Python's `__cause__`). */
export class RemoteTraceback extends py.Exception {
  /** The formatted traceback, between triple quotes. */
  readonly tb: string;
  constructor(tb: string) {
    super(tb);
    this.tb = tb;
  }
}

/**
 * Wraps possible unpickleable errors, so they can be safely sent through the socket (Python's
 * multiprocessing.pool.MaybeEncodingError): a task whose result cannot travel back to the caller.
 * `exc` and `value` are the reprs of the encoding error and of the result.
 */
export class MaybeEncodingError extends py.Exception {
  readonly exc: string;
  readonly value: string;
  constructor(exc: string, value: string) {
    super(exc, value);
    this.exc = exc;
    this.value = value;
    this.message = `Error sending result: '${value}'. Reason: '${exc}'`;
  }
  override toString(): string {
    return this.message;
  }
}

const rebuiltClasses = new Map<string, new (...a: unknown[]) => Error>();

/** Rebuilds a task's exception: Python's class (or a subclass of the nearest one) and args. */
export function rebuildError(e: FlatError): Error {
  const builtins = py as unknown as Record<string, new (...a: unknown[]) => Error>;
  if (e.name === "MaybeEncodingError" && e.base === "MaybeEncodingError" && e.props) {
    const { exc, value } = decode(Buffer.from(e.props), 0, e.props.length) as { exc: string; value: string };
    const err = new MaybeEncodingError(exc, value);
    if (e.stack) err.stack = e.stack;
    return err;
  }
  let Cls = builtins[e.name];
  if (!(typeof Cls === "function" && Cls.prototype instanceof Error)) {
    const key = `${e.name}:${e.base}`;
    Cls = rebuiltClasses.get(key)!;
    if (!Cls) {
      const Base = builtins[e.base] ?? py.Exception;
      Cls = { [e.name]: class extends (Base as any) {} }[e.name] as any;
      rebuiltClasses.set(key, Cls);
    }
  }
  const args = e.args ? (decode(Buffer.from(e.args), 0, e.args.length) as unknown[]) : [e.message];
  const err = new Cls(...args);
  if (!(err instanceof py.BaseException)) err.message = e.message;
  if (e.props) Object.assign(err, decode(Buffer.from(e.props), 0, e.props.length));
  if (e.stack) err.stack = e.stack;
  Object.defineProperty(err, "cause", { value: new RemoteTraceback(`\n"""\n${e.traceback}"""`), configurable: true, writable: true });
  return err;
}

// --- results ------------------------------------------------------------------------------

/** What a pool delivers chunk results to. */
export interface Sink {
  _set(chunk: number, ok: boolean, value: unknown): void;
  /** The pool's number for the job (set when it is submitted). */
  _job: number;
}

/** The result of apply_async(): get(), wait(), ready(), successful(); also awaitable. */
export class ApplyResult<T = unknown> extends PyObject implements PromiseLike<T> {
  /** @internal */
  protected _pool: ResultSource;
  /** @internal */
  protected _ready = false;
  /** @internal */
  protected _success = true;
  /** @internal */
  protected _value: any;
  /** @internal the pool's number for the job */
  _job = -1;
  readonly #callback: ((v: T) => unknown) | null;
  readonly #errorCallback: ((e: unknown) => unknown) | null;

  /** @internal */
  constructor(pool: ResultSource, callback?: ((v: T) => unknown) | null, errorCallback?: ((e: unknown) => unknown) | null) {
    super();
    this._pool = pool;
    this.#callback = callback ?? null;
    this.#errorCallback = errorCallback ?? null;
  }

  /** @internal */
  _set(_chunk: number, ok: boolean, value: unknown): void {
    this._success = ok;
    this._value = ok ? (value as unknown[])[0] : value;
    this._finish();
  }

  /** @internal marks the result ready and runs the callbacks (in the parent, as Python's). */
  protected _finish(): void {
    this._ready = true;
    if (this._success) this.#callback?.(this._value);
    else this.#errorCallback?.(this._value);
  }

  /** @internal whether callbacks need the event loop to deliver results nobody waits for. */
  get _hasCallbacks(): boolean {
    return this.#callback !== null || this.#errorCallback !== null;
  }

  /** True once the call has completed. */
  ready(): boolean {
    return this._ready;
  }

  /**
   * True if the call completed without raising.
   * @throws ValueError "<...ApplyResult object at 0x...> not ready".
   */
  successful(): boolean {
    if (!this._ready) throw new py.ValueError(`${this.__repr__()} not ready`);
    return this._success;
  }

  /** Wait until the result is available or `timeout` seconds pass. Returns undefined. */
  wait(...args: TimeoutArgs): void {
    const [timeout] = WAIT.bind(args);
    // threading.Event.wait(): the timeout is checked only when the result is not there yet.
    if (!this._ready) this._pool._waitUntil(() => this._ready, threadingWaitMs(timeout), this._job);
  }

  /**
   * Return the result when it arrives; re-raise the task's exception (with the worker's
   * traceback as its `cause`).
   * @throws TimeoutError (multiprocessing's) if it does not arrive within `timeout` seconds.
   */
  get(...args: TimeoutArgs): T {
    const [timeout] = GET.bind(args);
    this.wait(timeout);
    if (!this._ready) throw new TimeoutError();
    if (this._success) return this._value;
    throw this._value;
  }

  /** Non-blocking twin of get(). */
  async get_async(...args: TimeoutArgs): Promise<T> {
    const [timeout] = GET.bind(args);
    if (!this._ready) await this._pool._waitUntilAsync(() => this._ready, threadingWaitMs(timeout));
    if (!this._ready) throw new TimeoutError();
    if (this._success) return this._value;
    throw this._value;
  }

  then<R1 = T, R2 = never>(onFulfilled?: ((v: T) => R1 | PromiseLike<R1>) | null, onRejected?: ((e: any) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    return this.get_async().then(onFulfilled, onRejected);
  }

  /** `<multiprocessing.pool.ApplyResult object at 0x7f…>`. */
  __repr__(): string {
    return `<multiprocessing.pool.${this.constructor.name} object at ${addressOf(this)}>`;
  }
}

/** Python's alias. */
export const AsyncResult = ApplyResult;
export type AsyncResult<T = unknown> = ApplyResult<T>;

/** The result of map_async()/starmap_async(): the list, in input order. */
export class MapResult<T = unknown> extends ApplyResult<T[]> {
  #left: number;
  /** Each chunk's results, by chunk number, until the list is assembled. */
  #chunks: unknown[][];
  /** @internal */
  constructor(pool: ResultSource, chunksize: number, length: number, callback?: ((v: T[]) => unknown) | null, errorCallback?: ((e: unknown) => unknown) | null) {
    super(pool, callback, errorCallback);
    this.#left = chunksize ? Math.ceil(length / chunksize) : 0;
    this.#chunks = new Array(this.#left);
    // CPython: `[None] * length`, complete at once when chunksize <= 0.
    this._value = this.#left === 0 ? new Array(length).fill(null) : [];
    if (this.#left === 0) this._finish();
  }
  /** @internal as CPython's MapResult._set: keeps the first failure, ready when every chunk is back. */
  override _set(chunk: number, ok: boolean, value: unknown): void {
    this.#left--;
    if (ok && this._success) {
      this.#chunks[chunk] = value as unknown[];
    } else if (!ok && this._success) {
      this._success = false;
      this._value = value;
    }
    if (this.#left === 0) {
      if (this._success) this._value = joinChunks(this.#chunks);
      this.#chunks = [];
      this._finish();
    }
  }
}

/** The chunks' lists as one list, in order: concat() copies a few long lists fastest, a plain loop many short ones. */
function joinChunks(chunks: unknown[][]): unknown[] {
  if (chunks.length <= 64) return ([] as unknown[]).concat(...chunks);
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Array<unknown>(n);
  let k = 0;
  for (const c of chunks) for (let i = 0; i < c.length; i++) out[k++] = c[i];
  return out;
}

/** The iterator of imap(): results in input order; a failed item raises at its place. */
export class IMapIterator<T = unknown> extends PyObject implements Iterator<T>, AsyncIterable<T> {
  /** @internal */
  readonly _pool: ResultSource;
  /** @internal entries by position: [ok, value] */
  protected _items = new Map<number, [boolean, unknown]>();
  /** @internal */
  protected _index = 0;
  /** @internal number of entries, once all tasks are submitted */
  _length: number | null = null;
  /** @internal each entry is a whole chunk's list (imap with a chunksize above 1) */
  protected readonly _whole: boolean;
  /** @internal the pool's number for the job */
  _job = -1;
  /** @internal */
  constructor(pool: ResultSource, whole = false) {
    super();
    this._pool = pool;
    this._whole = whole;
  }
  /** @internal */
  _set(chunk: number, ok: boolean, value: unknown): void {
    this._items.set(chunk, [ok, ok && !this._whole ? (value as unknown[])[0] : value]);
  }
  /** @internal */
  protected _take(): [boolean, unknown] | undefined {
    const e = this._items.get(this._index);
    if (e) {
      this._items.delete(this._index);
      this._index++;
    }
    return e;
  }
  #done(): boolean {
    return this._length !== null && this._index >= this._length;
  }

  /**
   * The next result, waiting up to `timeout` seconds.
   * @throws TimeoutError if none arrives in time; the task's exception for a failed item.
   */
  next(...args: TimeoutArgs): IteratorResult<T> {
    const [timeout] = args.length === 0 ? [null] : NEXT.bind(args);
    if (this.#done()) return { done: true, value: undefined };
    const ready = () => this._items.has(this._index) || this.#done() || this._peekReady();
    // threading.Condition.wait(): the timeout is checked only when no result is there yet.
    this._pool._waitUntil(ready, ready() ? 0 : threadingWaitMs(timeout));
    if (this.#done()) return { done: true, value: undefined };
    const e = this._take();
    if (!e) throw new TimeoutError();
    if (!e[0]) throw e[1];
    return { done: false, value: e[1] as T };
  }

  /** @internal */
  protected _peekReady(): boolean {
    return false;
  }

  /** `for await (const x of pool.imap(f, xs))`: waits without blocking the event loop. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      await this._pool._waitUntilAsync(() => this._items.has(this._index) || this.#done() || this._peekReady(), Infinity);
      const r = this.next(0);
      if (r.done) return;
      yield r.value;
    }
  }

  [Symbol.iterator](): this {
    return this;
  }

  __repr__(): string {
    return `<multiprocessing.pool.${this.constructor.name} object at ${addressOf(this)}>`;
  }
}
/** The iterator of imap_unordered(): results as they complete. */
export class IMapUnorderedIterator<T = unknown> extends IMapIterator<T> {
  #arrived: [boolean, unknown][] = [];
  override _set(_chunk: number, ok: boolean, value: unknown): void {
    this.#arrived.push([ok, ok && !this._whole ? (value as unknown[])[0] : value]);
  }
  protected override _peekReady(): boolean {
    return this.#arrived.length > 0;
  }
  protected override _take(): [boolean, unknown] | undefined {
    const e = this.#arrived.shift();
    if (e) this._index++;
    return e;
  }
}

