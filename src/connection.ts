// Port of CPython Lib/multiprocessing/connection.py (PSF-2.0): Pipe, Connection, wait().
// A Connection is one end of one or two shared-memory channels (shared/channel.ts). Each copy of
// an end in each process counts as an open handle, as an fd does: the peer sees EOF (EOFError)
// only when every copy of the writing end is closed, and BrokenPipeError when no reading copy is
// left. A child's copies close when it exits; a terminated child's are closed by its parent.
// Listener/Client (connection/listener.ts) speak CPython's wire protocol over AF_INET and AF_UNIX
// sockets owned by a host thread; their Connections are this class over channels it pumps.
// Differs from Python: connections cannot travel inside queue items (only as Process arguments).

import { addressOf, atExit } from "./shared/current.js";
import { Channel, kEOF, kTimeout } from "./shared/channel.js";
import { decode, encode } from "./shared/codec.js";
import { PyObject } from "./shared/pyobject.js";
import { BrokenPipeError, EOFError, OSError, TypeError, ValueError } from "./shared/pyerrors.js";
import { register } from "./shared/reduction.js";
import { sleepMs } from "./shared/semlock.js";
import { BufferTooShort } from "./errors.js";
import { _processBySentinel } from "./process.js";
import { anyValue, as, p, sig, type Bound } from "./shared/binder.js";
import * as cv from "./shared/convert.js";

// --- signatures (shared/binder.ts) ------------------------------------------------------------

const SEND = sig("_ConnectionBase.send", [p("obj", null, { kind: "positional-only", object: anyValue })], { method: true });
/** @internal the signatures SocketConnection (connection/listener.ts) binds too. */
export const SEND_BYTES = sig("_ConnectionBase.send_bytes", [p("buf", as<ArrayBufferView | ArrayBuffer>()), p("offset", cv.ltComparable, { default: 0 }), p("size", cv.optLtComparable, { default: null })], { method: true });
export const RECV_BYTES = sig("_ConnectionBase.recv_bytes", [p("maxlength", cv.optLtComparable, { default: null })], { method: true });
export const RECV_BYTES_INTO = sig("_ConnectionBase.recv_bytes_into", [p("buf", as<ArrayBufferView>()), p("offset", cv.ltComparable, { default: 0 })], { method: true });
const POLL = sig("_ConnectionBase.poll", [p("timeout", cv.pollTimeout, { default: 0 })], { method: true });
const PIPE = sig("Pipe", [p("duplex", cv.truthy, { default: true }), p("capacity", as<number>(), { kind: "keyword-only", default: kDefaultPipeCapacity() })]);
const WAIT = sig("wait", [p("object_list", cv.iterable<Waitable>()), p("timeout", cv.pollTimeout, { default: null })]);
/** Arguments of poll(): `()`, `(0.5)`, `(null)`, `({ timeout: 0.5 })`. */
export type PollArgs = Bound<typeof POLL>;
function kDefaultPipeCapacity(): number {
  return 256 * 1024;
}

export { Listener, Client, answer_challenge, deliver_challenge, type Address, type ListenerOptions, type SocketOptions } from "./connection/listener.js";

/** Keyword arguments of Pipe(). */
export interface PipeOptions {
  duplex?: boolean;
  /** Bytes of shared memory per direction (default 256 KiB); larger messages are streamed. */
  capacity?: number;
}

const open = new Set<Connection>();
atExit(() => {
  for (const c of [...open]) c.close();
}, 5);

// A message in the ring is copied out; one reassembled from a stream already has its own buffer.
const copyBytes = (buf: Buffer, start: number, len: number): Buffer => (buf.buffer instanceof SharedArrayBuffer ? Buffer.from(buf.subarray(start, start + len)) : buf.subarray(start, start + len));
let nextFileno = 3;

/** One end of a Pipe: send and receive messages, objects or bytes. */
export class Connection<S = any, R = any> extends PyObject {
  #read: Channel | null;
  #write: Channel | null;
  /** Set once this copy's handles are released; shared with the parent that sent it. */
  readonly #copyClosed: Int32Array;
  #closed = false;
  #readable: boolean;
  readonly #writable: boolean;
  readonly #fileno = nextFileno++;

  /** @internal use Pipe() */
  constructor(read: Channel | null, write: Channel | null, copyClosed?: Int32Array) {
    super();
    this.#read = read;
    this.#write = write;
    this.#readable = read !== null;
    this.#writable = write !== null;
    this.#copyClosed = copyClosed ?? new Int32Array(new SharedArrayBuffer(4));
    open.add(this);
  }

  #check(): void {
    if (this.#closed) throw new OSError("handle is closed");
  }
  #checkReadable(): Channel {
    this.#check();
    if (!this.#readable || !this.#read) throw new OSError("connection is write-only");
    return this.#read;
  }
  #checkWritable(): Channel {
    this.#check();
    if (!this.#writable || !this.#write) throw new OSError("connection is read-only");
    return this.#write;
  }

  /** True if the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }
  /** True if the connection is readable. */
  get readable(): boolean {
    return this.#readable;
  }
  /** True if the connection is writable. */
  get writable(): boolean {
    return this.#writable;
  }

  #writeMessage(ch: Channel, payload: Uint8Array): void {
    if (ch.readersGone) throw new BrokenPipeError(32, "Broken pipe");
    ch.write(payload, Infinity, () => {
      throw new BrokenPipeError(32, "Broken pipe");
    });
  }

  /**
   * Send an object to the other end (copied now; recv() returns an equal object).
   * @throws OSError when closed or read-only; BrokenPipeError when the other end is closed.
   */
  send(...args: Bound<typeof SEND, { obj: S }>): void {
    const obj = (args.length === 1 ? args[0] : SEND.bind(args)[0]) as S;
    const ch = this.#checkWritable();
    this.#writeMessage(ch, encode(obj));
  }

  /**
   * Send bytes from a bytes-like object: `offset` and `size` count bytes.
   * @throws ValueError for a bad offset or size; TypeError for a string.
   */
  send_bytes(...args: Bound<typeof SEND_BYTES>): void {
    const [buf, offset, size] = SEND_BYTES.bind(args);
    const ch = this.#checkWritable();
    if (typeof buf === "string") throw new TypeError("memoryview: a bytes-like object is required, not 'str'");
    const bytes = ArrayBuffer.isView(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf instanceof ArrayBuffer ? new Uint8Array(buf) : null;
    if (!bytes) throw new TypeError(`memoryview: a bytes-like object is required, not '${(buf as any)?.constructor?.name ?? typeof buf}'`);
    const [start, len] = cv.sendBytesRange(bytes.length, offset, size);
    this.#writeMessage(ch, bytes.subarray(start, start + len));
  }

  #readMessage<T>(decoder: (b: Buffer, s: number, l: number) => T, ms = Infinity): T {
    const ch = this.#checkReadable();
    const r = ch.read(ms, decoder);
    if (r === kEOF || r === kTimeout) throw new EOFError();
    return r;
  }

  /** @internal reads one message with `decoder` (in place, from shared memory). */
  _readWith<T>(decoder: (b: Buffer, s: number, l: number) => T): T {
    return this.#readMessage(decoder);
  }

  /**
   * Return an object sent from the other end, waiting for one.
   * @throws EOFError when nothing is left and the other end is closed.
   */
  recv(): R {
    return this.#readMessage(decode) as R;
  }

  /** Non-blocking twin of recv(). */
  async recv_async(): Promise<R> {
    const ch = this.#checkReadable();
    await ch.pollAsync(Infinity);
    return this.recv();
  }

  /**
   * Return a complete message of bytes, waiting for one.
   * @throws OSError "bad message length" if it is longer than `maxlength` (the connection then
   * becomes unreadable); EOFError at the end.
   */
  recv_bytes(...args: Bound<typeof RECV_BYTES>): Buffer {
    const [maxlength] = args.length === 0 ? [null] : RECV_BYTES.bind(args);
    if (maxlength !== null && maxlength !== undefined && maxlength < 0) throw new ValueError("negative maxlength");
    const msg = this.#readMessage(copyBytes);
    if (maxlength !== null && maxlength !== undefined && msg.length > maxlength) {
      if (this.#writable) this.#readable = false;
      else this.close();
      throw new OSError("bad message length");
    }
    return msg;
  }

  /**
   * Read a message into `buf` at byte `offset`; returns its size in bytes.
   * @throws BufferTooShort (with the whole message as `args[0]`) if it does not fit.
   */
  recv_bytes_into(...args: Bound<typeof RECV_BYTES_INTO>): number {
    const [buf, offset] = RECV_BYTES_INTO.bind(args);
    this.#checkReadable();
    const target = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (offset < 0) throw new ValueError("negative offset");
    if (offset > target.length) throw new ValueError("offset too large");
    if (!Number.isSafeInteger(offset)) throw new TypeError("slice indices must be integers or None or have an __index__ method");
    const msg = this.#readMessage(copyBytes);
    if (msg.length > target.length - offset) throw new BufferTooShort(msg);
    target.set(msg, offset);
    return msg.length;
  }

  /**
   * Whether there is data (or EOF) to read, waiting up to `timeout` seconds (default 0; null
   * waits forever).
   */
  poll(...args: PollArgs): boolean {
    const ms = args.length === 0 ? 0 : cv.pollWaitMs(POLL.bind(args)[0]);
    const ch = this.#checkReadable();
    return ch.poll(ms);
  }

  /** Non-blocking twin of poll(). */
  poll_async(...args: PollArgs): Promise<boolean> {
    const ms = args.length === 0 ? 0 : cv.pollWaitMs(POLL.bind(args)[0]);
    const ch = this.#checkReadable();
    return ch.pollAsync(ms);
  }

  /** An integer that identifies the connection (not an OS file descriptor). */
  fileno(): number {
    this.#check();
    return this.#fileno;
  }

  /** Close the connection; the other end sees EOF once every copy of this end is closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    open.delete(this);
    Connection._release(this.#copyClosed, this.#read, this.#write);
    this.#read = this.#write = null;
  }

  /** @internal drops one copy's handles, once (the child itself or its parent may do it). */
  static _release(copyClosed: Int32Array, read: Channel | null, write: Channel | null): void {
    if (Atomics.compareExchange(copyClosed, 0, 0, 1) !== 0) return;
    read?.addHandle("reader", -1);
    write?.addHandle("writer", -1);
  }

  /** `with conn:` — runs `fn(conn)`, then closes. */
  with<T>(fn: (conn: this) => T): T {
    try {
      return fn(this);
    } finally {
      this.close();
    }
  }
  /** Python's `__enter__`: returns the connection. */
  __enter__(): this {
    return this;
  }
  /** Python's `__exit__`: closes. */
  __exit__(): void {
    this.close();
  }
  /** Closes at the end of a `using` scope. */
  [Symbol.dispose](): void {
    this.close();
  }
  /** `<multiprocessing.connection.Connection object at 0x7f…>`. */
  __repr__(): string {
    return `<multiprocessing.connection.Connection object at ${addressOf(this)}>`;
  }

  /** @internal state for a copy sent to a child: a new handle on each channel. */
  _reduce(): { read: SharedArrayBuffer | null; write: SharedArrayBuffer | null; copyClosed: Int32Array } {
    this.#check();
    this.#read?.addHandle("reader", 1);
    this.#write?.addHandle("writer", 1);
    return { read: this.#read?.sab ?? null, write: this.#write?.sab ?? null, copyClosed: new Int32Array(new SharedArrayBuffer(4)) };
  }
}

register("Connection", Connection, {
  reduce: (c: Connection) => c._reduce(),
  rebuild: (s) => new Connection(s.read ? new Channel(s.read) : null, s.write ? new Channel(s.write) : null, s.copyClosed),
  // The parent closes the handles of a copy it sent to a child that died without closing them.
  release: (s) => Connection._release(s.copyClosed, s.read ? new Channel(s.read) : null, s.write ? new Channel(s.write) : null),
});

/**
 * Returns a pair `[conn1, conn2]` of connected ends. With `duplex` (default) both ends read and
 * write; otherwise conn1 only receives and conn2 only sends.
 */
export function Pipe(...args: Bound<typeof PIPE>): [Connection, Connection] {
  const [duplex, cap] = PIPE.bind(args);
  if (duplex) {
    const a = Channel.create(cap);
    const b = Channel.create(cap);
    return [new Connection(a, b), new Connection(b, a)];
  }
  const ch = Channel.create(cap);
  return [new Connection(ch, null), new Connection(null, ch)];
}

/** Anything wait() accepts: a Connection, a process sentinel, or an object with poll(). */
export type Waitable = Connection | number | { poll(timeout?: number): boolean };

function ready(o: Waitable): boolean {
  if (typeof o === "number") {
    const p = _processBySentinel(o);
    return p === undefined || p._poll() !== null;
  }
  if (o instanceof Connection) {
    if (o.closed) return true;
    try {
      return o.poll(0);
    } catch {
      return true;
    }
  }
  return o.poll(0);
}

/**
 * Wait until one or more of `object_list` is ready (a connection with data or EOF, the sentinel
 * of a process that ended); returns those that are. `timeout` in seconds; null waits forever.
 */
export function wait<T extends Waitable>(...args: Bound<typeof WAIT, { object_list: Iterable<T> }>): T[] {
  const [object_list, timeout] = WAIT.bind(args);
  const items = [...object_list] as T[];
  const ms = cv.pollWaitMs(timeout);
  const deadline = performance.now() + ms;
  for (let pause = 0.05; ; pause = Math.min(pause * 2, 5)) {
    const r = items.filter(ready);
    if (r.length || items.length === 0 || performance.now() >= deadline) return r;
    sleepMs(Math.min(pause, Math.max(0, deadline - performance.now())));
  }
}

/** Non-blocking twin of wait(). */
export async function wait_async<T extends Waitable>(...args: Bound<typeof WAIT, { object_list: Iterable<T> }>): Promise<T[]> {
  const [object_list, timeout] = WAIT.bind(args);
  const items = [...object_list] as T[];
  const deadline = performance.now() + cv.pollWaitMs(timeout);
  for (let pause = 0.05; ; pause = Math.min(pause * 2, 5)) {
    const r = items.filter(ready);
    if (r.length || items.length === 0 || performance.now() >= deadline) return r;
    await new Promise((res) => setTimeout(res, Math.min(pause, Math.max(0, deadline - performance.now()))));
  }
}

/** The address families Listener and Client support here, as CPython's `connection.families` on Linux. */
export const families: readonly string[] = Object.freeze(["AF_INET", "AF_UNIX"]);
/** The family a Listener uses when given neither address nor family (CPython's `default_family`). */
export const default_family = "AF_UNIX";
