// The socket face of a manager's server: CPython's Server.serve_forever / accepter /
// handle_request / serve_client (Lib/multiprocessing/managers.py, PSF-2.0) on node:net, inside
// the manager's server process, beside the in-tree rings (worker/manager_server.ts). Each
// accepted connection is authenticated (connection.py's deliver_challenge then
// answer_challenge), then carries one public request (`create`, `incref`, `decref`,
// `get_methods`, `dummy`, `shutdown`, ... answered and closed) or `accept_connection`, after
// which it carries method calls `(ident, methodname, args, kwds)` until the client closes it.
// Requests go to the same Server (managers/server.ts) as the rings' requests.
// Differs from Python: no thread per connection; the server thread's own event loop owns the
// sockets, and a method call is read, dispatched and answered in the socket's 'data' callback
// (one write per reply). A call that blocks (q.get()) is parked on a promise and answered when
// it settles, and the connection's later requests wait for it (as they would behind CPython's
// thread). A client that disconnects during a parked call does not cancel it: as in CPython, a
// q.get() parked for a dead client still takes its item. While clients send their next request
// soon after each reply and a core is free, the thread polls its sockets for a little while
// after each reply instead of sleeping (ReplyPoller).

import { createServer, type Socket } from "node:net";
import { lookup } from "node:dns/promises";
import { cpus } from "node:os";
import { frameHeader } from "../connection/framing.js";
import { markTuple } from "../shared/format.js";
import { AssertionError } from "../shared/pyerrors.js";
import { formatException } from "../shared/traceback.js";
import type { Server } from "./server.js";
import { kError, kProxy, kReturn, kTraceback, kUnserializable, rebuildException, Token, type FlatException } from "./wire.js";
import { listening } from "./remote_proxies.js";
import { decodeWire, encodeWire, flatForWire, serverHandshake, tracebackText, type SerializerName } from "./remote_wire.js";

/** What the manager asks its server process to listen on. */
export interface ListenSpec {
  host: string;
  port: number;
  authkey: Uint8Array;
  serializer: SerializerName;
  backlog: number;
  /** [0]: the bound port once listening, or -errno if binding failed. */
  cell: Int32Array;
}

/** CPython's Server.public. */
const kPublic = new Set(["shutdown", "create", "accept_connection", "get_methods", "debug_info", "number_of_objects", "dummy", "incref", "decref"]);

/** Largest message read before the peer is authenticated (CPython's recv_bytes(256)). */
const kAuthLimit = 256;
/** Bytes of requests a connection may have waiting before its socket is paused. */
const kInboxHigh = 4 << 20;

/**
 * Splits a socket's bytes into the messages of CPython's framing (a 4-byte big-endian length,
 * or -1 and an 8-byte one), one at a time as they are asked for. `limit` is mutable: before
 * authentication a longer message closes the connection before anything of it is buffered.
 */
class Frames {
  limit = kAuthLimit;
  #buf: Buffer = Buffer.alloc(0);
  get size(): number {
    return this.#buf.length;
  }
  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
  }
  /** The next complete message, or null. @throws RangeError over the limit or for a bad header. */
  take(): Buffer | null {
    const b = this.#buf;
    if (b.length < 4) return null;
    let size = b.readInt32BE(0);
    let head = 4;
    if (size === -1) {
      if (b.length < 12) return null;
      size = Number(b.readBigUInt64BE(4));
      head = 12;
    } else if (size < 0) throw new RangeError("bad message length");
    if (size > this.limit) throw new RangeError("message too long");
    if (b.length < head + size) return null;
    this.#buf = b.subarray(head + size);
    // The usual request is all its buffer holds: that memory is written by nothing else (each
    // socket read, and each concat, has memory of its own), so it is used as it is. A message
    // sharing its buffer gets its own copy, so that values kept from it (bytes in a queue) do
    // not keep the rest alive.
    if (head + size === b.length) return b.subarray(head);
    return Buffer.from(b.subarray(head, head + size));
  }
}

/** Messages up to this size are written with their length in one buffer (as CPython's _send_bytes). */
const kOneWrite = 16384;

/** A message of at most kOneWrite bytes with its 4-byte length before it, in one buffer. */
function frame(b: Uint8Array): Buffer {
  const f = Buffer.allocUnsafe(4 + b.length);
  f.writeInt32BE(b.length, 0);
  f.set(b, 4);
  return f;
}

/** Longest poll after a reply (ms), and the usual gap above which the server does not poll. */
const kMaxPollMs = 0.5;
/** A gap counts at most this much (ms) in the average: one long pause does not stop polling for long. */
const kGapCap = 2;

/**
 * Keeps the server thread awake for a short while after each reply, as adaptive mutexes spin
 * before they sleep: the event loop turns with nothing to wait for (setImmediate, so libuv polls
 * its sockets without sleeping), and a request that comes in meanwhile is read at once. Waking a
 * sleeping thread on another CPU costs more than serving the request (tens of microseconds on a
 * virtual machine), and a client that is a blocking caller sends its next request as soon as it
 * has the reply. The poll lasts about twice the usual gap between a reply and the next request,
 * at most kMaxPollMs, and only while that gap is shorter than kMaxPollMs and the machine seems
 * to have a core to spare (idleCore): a client that pauses between calls, or one slowed by a
 * loaded machine, gets none. (bench/remote_managers.mjs, one CPython client, load 1.3-1.9 on 2
 * cores: +45% pairs/s for +28% server CPU per pair.)
 */
class ReplyPoller {
  /** Moving average of the gap between a reply and the next request, in ms. */
  #gapMs = kMaxPollMs / 4;
  #lastReply = 0;
  #until = 0;
  #polling = false;
  #pollStart = 0;
  readonly #tick = (): void => {
    const now = performance.now();
    if (now < this.#until) return void setImmediate(this.#tick);
    this.#polling = false;
    polledMs += now - this.#pollStart;
  };
  /** A request has been read. */
  requested(): void {
    if (this.#lastReply === 0) return;
    const gap = Math.min(performance.now() - this.#lastReply, kGapCap);
    this.#lastReply = 0;
    this.#gapMs += (gap - this.#gapMs) / 8;
  }
  /** A reply has been written: poll for the next request while they come quickly. */
  replied(): void {
    const now = (this.#lastReply = performance.now());
    if (this.#gapMs >= kMaxPollMs || !idleCore(now)) return;
    this.#until = now + Math.min(2 * this.#gapMs + 0.02, kMaxPollMs);
    if (!this.#polling) {
      this.#polling = true;
      this.#pollStart = now;
      setImmediate(this.#tick);
    }
  }
}

/** How often (ms) the machine's idle time is looked up. */
const kIdleCheckMs = 500;
/** Cores that must be idle (this thread's polling counted as idle) for the poll to go on. */
const kIdleCoresNeeded = 0.5;
let idleCheckedAt = -Infinity;
let idleCpuMs = 0;
let idleAllows = false;
/** Time this thread spent polling since the last look (ms). */
let polledMs = 0;

/**
 * Whether the machine seems to have a core to spare: over the last kIdleCheckMs, the idle time
 * of all its cores plus the time this thread spent polling (which it would give back by
 * sleeping) makes at least kIdleCoresNeeded of a core. Without one, a polling thread only takes
 * the time slice of another process (perhaps the client it waits for). (The load average would
 * count the poll itself, and turn it off after a minute of its own traffic.)
 */
function idleCore(now: number): boolean {
  if (now >= idleCheckedAt + kIdleCheckMs) {
    let idle = 0;
    for (const c of cpus()) idle += c.times.idle;
    idleAllows = (idle - idleCpuMs + polledMs) / (now - idleCheckedAt) >= kIdleCoresNeeded;
    idleCheckedAt = now;
    idleCpuMs = idle;
    polledMs = 0;
  }
  return idleAllows;
}

/** Callers on sockets get numbers above every thread id (an RLock's owner is its caller). */
let nextCaller = 0x40000000;

type Reply = [string, unknown];

/** Python's AF_INET binds IPv4 only; '' is INADDR_ANY. */
async function ipv4(host: string): Promise<string> {
  if (host === "") return "0.0.0.0";
  return (await lookup(host, { family: 4 })).address;
}

/** A manager server's socket, as serveSocket() gives it to the server loop. */
export interface SocketFace {
  /** Stops listening and drops every connection. */
  close(): void;
  /** When the last method call came on a socket (performance.now() ms; -Infinity: none yet). */
  readonly lastCall: number;
}

/**
 * Listens on `spec.host:spec.port` and serves `server` there until close() (or a 'shutdown'
 * request, after which the server loop calls it). Resolves once listening.
 * @throws the bind error (EADDRINUSE...), after storing -errno in `spec.cell`.
 */
export async function serveSocket(server: Server, spec: ListenSpec, libraryDir: string): Promise<SocketFace> {
  const sockets = new Set<Socket>();
  const net = createServer({ noDelay: true });
  let address: [string, number] = [spec.host, spec.port];
  try {
    const host = await ipv4(spec.host);
    await new Promise<void>((res, rej) => {
      net.once("error", rej);
      net.listen({ host, port: spec.port, backlog: spec.backlog }, () => {
        net.off("error", rej);
        res();
      });
    });
  } catch (e: any) {
    Atomics.store(spec.cell, 0, -Math.abs(typeof e?.errno === "number" ? e.errno : 98));
    throw e;
  }
  const bound = net.address();
  const port = typeof bound === "object" && bound ? bound.port : spec.port;
  address = markTuple([spec.host, port]) as [string, number];
  Atomics.store(spec.cell, 0, port);
  listening.address = address;
  net.on("error", () => {});

  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    listening.address = null;
    net.close();
    for (const s of sockets) s.destroy();
    sockets.clear();
  };

  const replyTuple = markTuple<unknown[]>([null, null]);
  const encodeReply = (reply: Reply): Buffer => {
    let [kind, value] = reply;
    // XML-RPC writes an exception as the struct of its attributes (`{}`), as CPython does.
    if (kind === kError) value = spec.serializer === "pickle" ? flatForWire(value as FlatException) : rebuildException(value as FlatException);
    else if (kind === kProxy) {
      const [exposed, token] = value as [string[], Token];
      value = markTuple([markTuple([...exposed]), new Token(token.typeid, address as any, token.id)]);
    }
    // One tuple serves every reply (a fresh one would be marked as a tuple each time): the
    // encoder keeps nothing of it, and nothing it calls sends another reply meanwhile. It lets
    // go of the value once encoded.
    replyTuple[0] = kind;
    replyTuple[1] = value;
    try {
      return encodeWire(spec.serializer, replyTuple);
    } catch (e) {
      return encodeWire(spec.serializer, markTuple([kUnserializable, formatException(e, libraryDir)]));
    } finally {
      replyTuple[1] = null;
    }
  };

  /** The frame of ('#RETURN', None), the reply of most calls. */
  const noneFrame = frame(encodeReply([kReturn, null]));
  const poller = new ReplyPoller();
  const face = { close, lastCall: -Infinity };

  net.on("connection", (sock) => {
    if (closed) return void sock.destroy();
    sockets.add(sock);
    sock.setNoDelay(true);
    const caller = nextCaller++;
    const frames = new Frames();
    let waiter: ((b: Buffer | null) => void) | null = null;
    let ended = false;
    /** Set once the connection carries method calls (serve_client): the 'data' callback serves them. */
    let serving = false;
    /** A parked call of this connection has not settled: later requests wait in `frames`. */
    let parked = false;
    /** Writes one message: a small one as one buffer (one write(2), one TCP segment). */
    const send = (b: Uint8Array): void => {
      if (sock.destroyed) return;
      if (b.length > kOneWrite) {
        sock.write(frameHeader(b.length));
        sock.write(b);
      } else sock.write(frame(b));
    };
    const reply = (r: Reply): void => {
      if (sock.destroyed) return;
      // Most calls return None (put(), a setter...): their frame is the same bytes every time.
      if (r[0] === kReturn && r[1] == null) sock.write(noneFrame);
      else send(encodeReply(r));
    };
    const decode = (b: Buffer): [unknown, string, unknown[], Record<string, unknown> | null] => {
      const req = decodeWire(spec.serializer, b) as unknown[];
      if (!Array.isArray(req) || req.length !== 4) throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].ValueError(`not enough values to unpack (expected 4)`);
      const [ident, methodname, args, kwds] = req as [unknown, string, unknown[], Record<string, unknown> | null];
      return [ident, methodname, Array.isArray(args) ? args : [], kwds && typeof kwds === "object" && Object.keys(kwds).length ? kwds : null];
    };
    const traceback = (e: unknown): Reply => [kTraceback, e instanceof Error && (e as any).args ? formatException(e, libraryDir) : tracebackText(e)];

    const next = (): Promise<Buffer> =>
      new Promise<Buffer>((res, rej) => {
        let b: Buffer | null;
        try {
          b = frames.take();
        } catch (e) {
          sock.destroy();
          return rej(e);
        }
        if (b) {
          if (sock.isPaused() && frames.size < kInboxHigh) sock.resume();
          return res(b);
        }
        if (ended) return rej(new Error("EOF"));
        if (sock.isPaused()) sock.resume();
        waiter = (x) => (x ? res(x) : rej(new Error("EOF")));
      });
    /** serve_client: answers the connection's complete requests in order, until one parks. */
    const serveCalls = (): void => {
      while (!parked && !sock.destroyed) {
        let b: Buffer | null;
        try {
          b = frames.take();
        } catch {
          return void sock.destroy();
        }
        if (!b) break;
        poller.requested();
        face.lastCall = performance.now();
        let r: Reply | Promise<Reply>;
        try {
          const [ident, methodname, args, kwds] = decode(b);
          r = server.handle(caller, ident as string, methodname, args, kwds);
        } catch (e) {
          r = traceback(e);
        }
        if (r instanceof Promise) {
          parked = true;
          r.then(undefined, traceback).then((r) => {
            parked = false;
            reply(r);
            poller.replied();
            serveCalls();
          });
          break;
        }
        reply(r);
        poller.replied();
      }
      // A client that sends without reading replies is slowed down, not buffered without end.
      if (frames.size > kInboxHigh) sock.pause();
      else if (sock.isPaused()) sock.resume();
    };
    sock.on("data", (chunk) => {
      frames.push(chunk);
      if (serving) return serveCalls();
      if (waiter) {
        let m: Buffer | null;
        try {
          m = frames.take();
        } catch {
          return void sock.destroy();
        }
        if (m) {
          const w = waiter;
          waiter = null;
          w(m);
        }
      }
      // A client that sends without reading replies is slowed down, not buffered without end.
      if (!waiter && frames.size > kInboxHigh) sock.pause();
    });
    const finish = (): void => {
      ended = true;
      sockets.delete(sock);
      if (waiter) {
        const w = waiter;
        waiter = null;
        w(null);
      }
    };
    sock.on("end", () => sock.end());
    sock.on("close", finish);
    sock.on("error", () => {});

    void (async () => {
      try {
        await serverHandshake({ send, next }, spec.authkey);
        frames.limit = Number.MAX_SAFE_INTEGER;
        // handle_request: one public request.
        let answer: Reply;
        let funcname = "";
        try {
          const [, name, args, kwds] = decode(await next());
          funcname = name;
          if (!kPublic.has(funcname)) throw new AssertionError(`${JSON.stringify(funcname).replace(/^"|"$/g, "'")} unrecognized`);
          if (funcname === "accept_connection") answer = [kReturn, null];
          else answer = await server.handle(caller, null, funcname, args, kwds);
        } catch (e) {
          if ((e as Error)?.message === "EOF") throw e;
          answer = traceback(e);
        }
        reply(answer);
        if (funcname === "shutdown") {
          // The server loop sees `stopping` and ends, closing this listener (close()).
          sock.end();
          return;
        }
        if (funcname !== "accept_connection" || answer[0] !== kReturn) {
          sock.end();
          return;
        }
        // serve_client: method calls until EOF, answered as they arrive (serveCalls).
        serving = true;
        serveCalls();
      } catch {
        // EOF, or a failed handshake (the peer was told): drop the connection.
        sock.destroy();
      }
    })();
  });
  return face;
}
