// Port of CPython Lib/multiprocessing/connection.py (PSF-2.0): Listener, Client, SocketListener,
// SocketClient, address_type, arbitrary_address. The sockets live in this process's socket host
// thread (worker/connection_host.ts, reached through transport.ts); a Connection made here is a
// Pipe Connection over the two channels the host pumps, whose send()/recv() use pickle so that
// CPython is a valid peer.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { isMainThread } from "node:worker_threads";
import { Connection, RECV_BYTES, RECV_BYTES_INTO, SEND_BYTES } from "../connection.js";
import { as, p, sig, type Bound } from "../shared/binder.js";
import * as cv from "../shared/convert.js";
import { Channel, SpinBudget } from "../shared/channel.js";
import { addressOf, atExit } from "../shared/current.js";
import { repr, tuple } from "../shared/format.js";
import { PyObject } from "../shared/pyobject.js";
import { register } from "../shared/reduction.js";
import { AttributeError, BrokenPipeError, ConnectionResetError, EOFError, OSError, OverflowError, TypeError, ValueError } from "../shared/pyerrors.js";
import { answer_challenge, answerChallenge, deliver_challenge, deliverChallenge } from "./auth.js";
import { kStateCodec, kStateError, kStateFd, kStateFdGone, kStateFdLock, kStateMsgLock, kStateSize, type ConnHandles, type Family, type HostAddress } from "./protocol.js";
import { dumps, dumpsFast, loads, loadsFast } from "./serializer.js";
import { frameHeader, kShortMax } from "./framing.js";
import { writeSync } from "node:fs";
import { lockAcquire, lockRelease, sleepMs } from "../shared/semlock.js";
import { check, request, requestAsync } from "./transport.js";

/** An AF_INET address `[host, port]` (a Python tuple), or an AF_UNIX path. */
export type Address = readonly [string, number] | string;

/** Options of Listener and Client beyond Python's (and Python's keyword arguments). */
export interface SocketOptions {
  family?: string | null;
  authkey?: Uint8Array | null;
  /**
   * Largest message accepted from the peer, in bytes (default null: no limit, as CPython). A
   * larger one is refused before it is buffered: the connection is closed and reading raises
   * OSError. Differs from Python: CPython has no such cap.
   */
  recv_limit?: number | null;
  /** Bytes of shared memory per direction between this thread and the socket (default 4 MiB; messages up to half of it travel in one piece). */
  capacity?: number;
  /**
   * Offer the library's own codec for send()/recv() in the authentication handshake (default
   * true). It is used only when both ends are multiprocessing-ts and both offer it, on a
   * connection with an authkey; a CPython peer never sees the offer and always gets pickle.
   * With it, values travel as through a Pipe (undefined, Dates, instances of exported classes
   * by reference...), so, as with pickle in CPython, only an authenticated peer can send them.
   * Differs from Python: CPython has no such option.
   */
  fast_codec?: boolean;
}

/** Keyword arguments of Listener(). */
export interface ListenerOptions extends SocketOptions {
  address?: Address | null;
  backlog?: number;
}

// A message up to half the ring travels in one piece: 4 MiB keeps a 1 MiB message whole (no
// streaming back and forth between the socket thread and the reader, two copies fewer).
const kDefaultCapacity = 4 << 20;
/** CPython's default family on Linux. */
const kDefaultFamily = "AF_UNIX";
const kFamilies = new Set(["AF_INET", "AF_UNIX", "AF_PIPE"]);

// This port's extra keywords (after Python's parameters, keyword-only).
const socketKeywords = () => [
  p("recv_limit", as<number | null>(), { kind: "keyword-only", default: null }),
  p("capacity", as<number | undefined>(), { kind: "keyword-only", default: undefined }),
  p("fast_codec", as<boolean>(), { kind: "keyword-only", default: true }),
] as const;
/** `Listener.__init__(address=None, family=None, backlog=1, authkey=None)`, plus the port's keywords. */
const LISTENER = sig("Listener.__init__", [
  p("address", as<Address | null>(), { default: null }),
  p("family", as<string | null>(), { default: null }),
  p("backlog", as<number>(), { default: 1 }),
  p("authkey", as<Uint8Array | null>(), { default: null }),
  ...socketKeywords(),
], { method: true });
/** `Client(address, family=None, authkey=None)`, plus the port's keywords. */
const CLIENT = sig("Client", [
  p("address", as<Address>()),
  p("family", as<string | null>(), { default: null }),
  p("authkey", as<Uint8Array | null>(), { default: null }),
  ...socketKeywords(),
]);

/** Python's address_type(): 'AF_INET' for a tuple, 'AF_PIPE' for `\\.\pipe\…`, 'AF_UNIX' for a path. */
export function address_type(address: unknown): string {
  if (Array.isArray(address)) return "AF_INET";
  if (typeof address === "string" && address.startsWith("\\\\")) return "AF_PIPE";
  if (typeof address === "string" || address instanceof Uint8Array) return "AF_UNIX";
  // CPython's util.is_abstract_socket_namespace() raises TypeError for a truthy non-path.
  const cls = address === null || address === undefined || address === 0 || address === false ? ValueError : TypeError;
  throw new cls(`address type of ${repr(address)} unrecognized`);
}

let tempDir: string | null = null;
/** Python's arbitrary_address(): a free address of `family`. */
export function arbitrary_address(family: string): Address {
  if (family === "AF_INET") return ["localhost", 0];
  if (family === "AF_UNIX") {
    if (tempDir === null) {
      const dir = mkdtempSync(join(tmpdir(), "pymp-"));
      tempDir = dir;
      atExit(() => {
        rmSync(dir, { recursive: true, force: true });
        tempDir = null; // a reused forkserver worker makes a new one for its next process
      }, -10);
    }
    const chars = "abcdefghijklmnopqrstuvwxyz0123456789_";
    const name = Array.from(randomBytes(8), (b) => chars[b % chars.length]).join("");
    return join(tempDir, `listener-${name}`);
  }
  if (family === "AF_PIPE") throw new ValueError("Family AF_PIPE is not recognized.");
  throw new ValueError("unrecognized family");
}

function validateFamily(family: string): void {
  // On POSIX, as CPython: named pipes do not exist.
  if (family === "AF_PIPE") throw new ValueError(`Family ${family} is not recognized.`);
  if (!kFamilies.has(family)) throw new AttributeError(`module 'socket' has no attribute '${family}'`);
}

function hostAddress(family: string, address: unknown): HostAddress {
  if (family === "AF_INET") {
    if (!Array.isArray(address)) throw new TypeError(`AF_INET address must be tuple, not ${pyTypeName(address)}`);
    if (address.length !== 2) throw new TypeError(`AF_INET address must be a pair (host, port)`);
    const [host, port] = address;
    if (typeof host !== "string") throw new TypeError(`str, bytes or bytearray expected, not ${pyTypeName(host)}`);
    if (typeof port !== "number" || !Number.isInteger(port)) throw new TypeError(`'${pyTypeName(port)}' object cannot be interpreted as an integer`);
    if (port < 0 || port > 65535) throw new OverflowError("bind(): port must be 0-65535.");
    return { family: "AF_INET", host, port };
  }
  if (typeof address !== "string") throw new TypeError(`a bytes-like object is required, not '${pyTypeName(address)}'`);
  return { family: "AF_UNIX", path: address };
}

const pyTypeName = (v: unknown): string =>
  v === null || v === undefined ? "NoneType" : typeof v === "string" ? "str" : typeof v === "number" ? (Number.isInteger(v) ? "int" : "float") : Array.isArray(v) ? "tuple" : ((v as object).constructor?.name ?? typeof v);

function checkAuthkey(authkey: unknown): Buffer | null {
  if (authkey === null || authkey === undefined) return null;
  if (!(authkey instanceof Uint8Array)) throw new TypeError("authkey should be a byte string");
  return Buffer.from(authkey.buffer, authkey.byteOffset, authkey.byteLength);
}

const isLoopback = (host: string): boolean => host === "localhost" || /^127\./.test(host) || host === "::1";

// --- the connections --------------------------------------------------------------------------

function why(state: Int32Array, e: unknown, limit: number | null): unknown {
  if (!(e instanceof EOFError)) return e;
  const err = Atomics.load(state, kStateError);
  if (err === 1) return new OSError(`message of ${state[kStateSize]} bytes is over recv_limit (${limit} bytes): the connection was closed`);
  if (err === 2) return new OSError("bad message length");
  if (err === 3) return new OSError(`message of more than 2 GiB - 1 bytes received: not supported by multiprocessing-ts (the connection was closed)`);
  return e;
}

/**
 * Writes one frame straight to the socket's descriptor from this thread (no hop through the host
 * thread): header and payload in one write(2) up to 16 KiB (as CPython, against Nagle), else
 * header then payload. The message lock keeps frames of threads sharing the socket whole; the
 * descriptor lock, held for each write(2), keeps the host from closing the descriptor under it.
 * @throws BrokenPipeError once the socket is closed; ConnectionResetError on a reset.
 */
function writeFrame(state: Int32Array, fd: number, payload: Uint8Array): void {
  const header = frameHeader(payload.length);
  const parts = payload.length <= 16384 ? [Buffer.concat([header, payload])] : [header, payload];
  lockAcquire(state, kStateMsgLock, Infinity);
  try {
    let pause = 0.02;
    for (const part of parts) {
      let done = 0;
      while (done < part.length) {
        let wrote = -1;
        let error: any = null;
        lockAcquire(state, kStateFdLock, Infinity);
        try {
          if (Atomics.load(state, kStateFdGone) !== 0) throw new BrokenPipeError(32, "Broken pipe");
          wrote = writeSync(fd, part, done, Math.min(part.length - done, 1 << 30)); // write(2) takes < 2 GiB
        } catch (e: any) {
          error = e;
        } finally {
          lockRelease(state, kStateFdLock);
        }
        if (error === null) {
          done += wrote;
          pause = 0.02;
          continue;
        }
        if (error.code === "EAGAIN" || error.code === "EWOULDBLOCK") {
          // The socket's buffer is full: let the peer drain it (this thread sleeps; no event loop).
          sleepMs(pause);
          pause = Math.min(pause * 2, 0.25);
          continue;
        }
        if (error.code === "EPIPE") throw new BrokenPipeError(32, "Broken pipe");
        if (error.code === "ECONNRESET") throw new ConnectionResetError(104, "Connection reset by peer");
        if (typeof error?.errno !== "number") throw error; // not a system error: a bug of ours
        throw new OSError(Math.abs(error.errno ?? 5), String(error.message));
      }
    }
  } finally {
    lockRelease(state, kStateMsgLock);
  }
}

/** A socket's replies usually come within microseconds of a send: its reader spins first. */
function withSpin(ch: Channel): Channel {
  ch.spin = new SpinBudget();
  return ch;
}

function makeSocketConnectionClass() {
  /** A Connection over a socket: Pipe's API, pickle for send()/recv(). */
  return class SocketConnection<S = any, R = any> extends Connection<S, R> {
    readonly #cid: number;
    readonly #out: Channel;
    readonly #state: Int32Array;
    readonly #limit: number | null;

    constructor(h: ConnHandles, limit: number | null, copyClosed?: Int32Array) {
      super(withSpin(new Channel(h.inbound)), new Channel(h.outbound), copyClosed);
      this.#cid = h.cid;
      this.#out = new Channel(h.outbound);
      this.#state = new Int32Array(h.state);
      this.#limit = limit;
      openSockets.add(this);
    }

    /** Send an object to the other end, pickled (a CPython peer receives it with recv()). */
    override send(obj: S): void {
      if (this.closed) throw new OSError("handle is closed");
      if (!this.writable) throw new OSError("connection is read-only");
      if (this.#state[kStateCodec] !== 1) return this.send_bytes(dumps(obj));
      // A codec result is a view of its scratch buffer, which the next encode reuses: a wait
      // for room (where this thread runs its queue services, which encode) must not see it.
      // writeFrame copies a small payload before any wait; a larger one gets its own copy.
      const bytes = dumpsFast(obj);
      this.send_bytes(bytes.length <= 16384 && this.#state[kStateFd]! >= 0 ? bytes : Buffer.from(bytes));
    }

    /** @internal both ends offered the codec in the handshake: send()/recv() use it from now on. */
    _useCodec(): void {
      Atomics.store(this.#state, kStateCodec, 1);
    }

    /** True when send()/recv() use the library's codec (both ends are multiprocessing-ts). */
    get _codec(): boolean {
      return this.#state[kStateCodec] === 1;
    }

    /**
     * Send bytes from a bytes-like object: `offset` and `size` count bytes.
     * A message over 2 GiB - 1 bytes goes with CPython's 8-byte length header.
     * @throws ValueError for a bad offset or size.
     * Differs from Python: a Node receiver refuses messages over 2 GiB - 1 bytes (its channel
     * from the socket thread has 32-bit lengths); CPython receivers take them.
     */
    override send_bytes(...args: Bound<typeof SEND_BYTES>): void {
      const [buf, offset, size] = SEND_BYTES.bind(args);
      const fd = this.#state[kStateFd]!;
      if (fd < 0 || this.closed || !this.writable) {
        // Through the host (or raising as Pipe's): its channel carries up to 2 GiB - 1.
        const n = (buf as ArrayBufferView)?.byteLength ?? 0;
        const len = size ?? n - offset;
        if (offset >= 0 && len > kShortMax && offset + len <= n) throw new ValueError(`a message of ${len} bytes is over the 2 GiB - 1 bytes this connection carries`);
        return super.send_bytes(buf, offset, size);
      }
      if (typeof buf === "string") throw new TypeError("memoryview: a bytes-like object is required, not 'str'");
      const bytes = ArrayBuffer.isView(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf instanceof ArrayBuffer ? new Uint8Array(buf) : null;
      if (!bytes) throw new TypeError(`memoryview: a bytes-like object is required, not '${(buf as any)?.constructor?.name ?? typeof buf}'`);
      const [start, len] = cv.sendBytesRange(bytes.length, offset, size);
      writeFrame(this.#state, fd, bytes.subarray(start, start + len));
    }

    /** Return an object sent from the other end (unpickled), waiting for one. */
    override recv(): R {
      if (this.#state[kStateCodec] === 1) {
        // Decoded in place, straight from shared memory.
        try {
          return this._readWith(loadsFast) as R;
        } catch (e) {
          throw why(this.#state, e, this.#limit);
        }
      }
      return loads(this.recv_bytes()) as R;
    }

    override recv_bytes(...args: Bound<typeof RECV_BYTES>): Buffer {
      try {
        return super.recv_bytes(...args);
      } catch (e) {
        throw why(this.#state, e, this.#limit);
      }
    }

    override recv_bytes_into(...args: Bound<typeof RECV_BYTES_INTO>): number {
      try {
        return super.recv_bytes_into(...args);
      } catch (e) {
        throw why(this.#state, e, this.#limit);
      }
    }

    /** @internal state for a copy sent to a child process. */
    _reduceSocket(): SocketState {
      return { ...this._reduce(), cid: this.#cid, state: this.#state.buffer as SharedArrayBuffer, limit: this.#limit };
    }

    /** Close the connection: what was sent is delivered to the socket first (waits up to 10 s). */
    override close(): void {
      if (this.closed) return;
      openSockets.delete(this);
      super.close();
      // Only the last copy of this end (a child process may hold others) closes the socket.
      if (!this.#out.writersGone) return;
      try {
        request({ op: "closed", cid: this.#cid }, 10_000);
      } catch {
        // the host is gone: its sockets went with it
      }
    }
  };
}

interface SocketState {
  read: SharedArrayBuffer | null;
  write: SharedArrayBuffer | null;
  copyClosed: Int32Array;
  cid: number;
  state: SharedArrayBuffer;
  limit: number | null;
}

// A socket connection sent to a child process stays a socket connection there (pickle for
// send/recv); its socket stays in this process's host thread, reached through the channels.
const socketReducer = {
  reduce: (c: any) => c._reduceSocket(),
  rebuild: (s: SocketState) => socketConnection({ cid: s.cid, inbound: s.read!, outbound: s.write!, state: s.state, peer: "" }, s.limit, s.copyClosed),
  release: (s: SocketState) => Connection._release(s.copyClosed, s.read ? new Channel(s.read) : null, s.write ? new Channel(s.write) : null),
};
register("SocketConnection", { prototype: {} }, socketReducer);

// What a program sent must reach the peer even if it ends without close(), as with CPython
// (whose send() hands bytes to the kernel before returning): at exit, each open socket
// connection is closed, which waits for the host to hand its bytes to the OS. Children run the
// atExit hooks of connection.ts; the main thread has its 'exit' event, where the host thread is
// still alive.
const openSockets = new Set<Connection>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked || !isMainThread) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const c of [...openSockets]) c.close();
  });
}

let SocketConnection: ReturnType<typeof makeSocketConnectionClass> | null = null;
/** @internal the Connection for a socket the host opened. */
export function socketConnection(h: ConnHandles, limit: number | null, copyClosed?: Int32Array): Connection {
  // Made on first use: this module and connection.ts import each other.
  if (SocketConnection === null) {
    SocketConnection = makeSocketConnectionClass();
    register("SocketConnection", SocketConnection, socketReducer);
  }
  hookExit();
  return new SocketConnection(h, limit, copyClosed);
}

const peerAddress = (peer: ConnHandles["peer"]): Address => (typeof peer === "string" ? peer : (tuple(...peer) as unknown as Address));

// --- Listener ---------------------------------------------------------------------------------

/**
 * A wrapper for a bound socket which is 'listening' for connections.
 * `new Listener(address?, family?, backlog?, authkey?)`, or with a trailing options object.
 * @throws ValueError "Family AF_PIPE is not recognized." (POSIX); TypeError "authkey should be
 * a byte string"; OSError when the address is in use.
 */
export class Listener extends PyObject {
  #lid: number | null;
  readonly #address: Address;
  readonly #authkey: Buffer | null;
  readonly #capacity: number;
  readonly #limit: number | null;
  readonly #fastCodec: boolean;
  #lastAccepted: Address | null = null;

  constructor(...args: Bound<typeof LISTENER>) {
    super();
    let [addr, fam, bl, key, limit, capacity, fastCodec] = LISTENER.bind(args);
    fam = fam || (addr ? address_type(addr) : null) || kDefaultFamily;
    addr = addr || arbitrary_address(fam);
    validateFamily(fam);
    const hostAddr = hostAddress(fam, addr);
    this.#capacity = capacity ?? kDefaultCapacity;
    this.#limit = limit ?? null;
    this.#fastCodec = fastCodec !== false;
    const r = check(request({ op: "listen", address: hostAddr, backlog: Math.max(0, bl | 0), capacity: this.#capacity, limit: this.#limit ?? Infinity }));
    if (!("lid" in r)) throw new OSError("unexpected reply from the connection host");
    this.#lid = r.lid;
    this.#address = peerAddress(r.address);
    try {
      this.#authkey = checkAuthkey(key);
    } catch (e) {
      this.close();
      throw e;
    }
    if (hostAddr.family === "AF_INET" && !isLoopback(hostAddr.host) && !this.#authkey?.length) {
      process.emitWarning(
        `Listener on ${hostAddr.host || "0.0.0.0"}:${(this.#address as [string, number])[1]} without an authkey: anyone who can reach this address can connect and send messages. Pass an authkey (and see "Security" in the README).`,
        "SecurityWarning",
      );
    }
  }

  /**
   * Accept a connection on the bound socket; runs the authentication handshake when the
   * Listener has an authkey (the connection is closed if it fails).
   * @throws OSError "listener is closed"; AuthenticationError "digest received was wrong".
   */
  accept(): Connection {
    if (this.#lid === null) throw new OSError("listener is closed");
    const r = check(request({ op: "accept", lid: this.#lid }));
    if (!("conn" in r)) throw new OSError("unexpected reply from the connection host");
    return this.#accepted(r.conn);
  }

  /**
   * Non-blocking twin of accept(): the event loop turns while waiting for a connection. (The
   * authentication handshake that follows, a few short messages, blocks as accept()'s does.)
   */
  async accept_async(): Promise<Connection> {
    if (this.#lid === null) throw new OSError("listener is closed");
    const r = check(await requestAsync({ op: "accept", lid: this.#lid }));
    if (!("conn" in r)) throw new OSError("unexpected reply from the connection host");
    return this.#accepted(r.conn);
  }

  #accepted(h: ConnHandles): Connection {
    const c = socketConnection(h, this.#limit);
    this.#lastAccepted = peerAddress(h.peer);
    if (this.#authkey && this.#authkey.length > 0) {
      try {
        deliverChallenge(c, this.#authkey, "sha256", this.#fastCodec);
        if (answerChallenge(c, this.#authkey) && this.#fastCodec) (c as any)._useCodec();
      } catch (e) {
        c.close();
        throw e;
      }
    }
    return c;
  }

  /** Close the bound socket (an AF_UNIX path is removed). Idempotent. */
  close(): void {
    const lid = this.#lid;
    if (lid === null) return;
    this.#lid = null;
    try {
      check(request({ op: "closeListener", lid }, 10_000));
    } catch {
      // the host is gone: so is the socket
    }
  }

  /** The address which is being used by the Listener: `[host, port]` (a tuple) or a path. */
  get address(): Address {
    if (this.#lid === null) throw new AttributeError("'NoneType' object has no attribute '_address'");
    return this.#address;
  }

  /** The address of the last accepted connection (null before any; '' for AF_UNIX). */
  get last_accepted(): Address | null {
    if (this.#lid === null) throw new AttributeError("'NoneType' object has no attribute '_last_accepted'");
    return this.#lastAccepted;
  }

  /** `with Listener(...) as l:` — runs `fn(listener)`, then closes. */
  with<T>(fn: (listener: this) => T): T {
    try {
      return fn(this);
    } finally {
      this.close();
    }
  }
  /** Python's `__enter__`: returns the listener. */
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
  /** `<multiprocessing.connection.Listener object at 0x7f…>`. */
  __repr__(): string {
    return `<multiprocessing.connection.Listener object at ${addressOf(this)}>`;
  }
}

/**
 * Returns a connection to the address of a `Listener`. `Client(address, family?, authkey?)`, or
 * with a trailing options object. With an authkey, answers the Listener's challenge, then
 * challenges it.
 * @throws ValueError for an address of no known type; ConnectionRefusedError /
 * FileNotFoundError when nothing listens there; AuthenticationError "digest sent was rejected"
 * when the Listener has another key.
 */
export function Client(...args: Bound<typeof CLIENT>): Connection {
  let [address, fam, key, limit, capacity, fastCodec] = CLIENT.bind(args);
  fam = fam || address_type(address);
  validateFamily(fam);
  // SocketClient uses the address's own type, whatever the family says (as CPython).
  const hostAddr = hostAddress(address_type(address), address);
  const r = check(request({ op: "connect", address: hostAddr, capacity: capacity ?? kDefaultCapacity, limit: limit ?? Infinity }));
  if (!("conn" in r)) throw new OSError("unexpected reply from the connection host");
  const c = socketConnection(r.conn, limit);
  try {
    const k = checkAuthkey(key);
    if (k !== null) {
      const fast = fastCodec !== false;
      const offered = answerChallenge(c, k);
      deliverChallenge(c, k, "sha256", fast);
      if (offered && fast) (c as any)._useCodec();
    }
  } catch (e) {
    c.close();
    throw e;
  }
  return c;
}

export { answer_challenge, deliver_challenge };
export type { Family };
