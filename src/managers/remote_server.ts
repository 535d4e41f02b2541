// The socket face of a manager's server: CPython's Server.serve_forever / accepter /
// handle_request / serve_client (Lib/multiprocessing/managers.py, PSF-2.0) on node:net, inside
// the manager's server process, beside the in-tree rings (worker/manager_server.ts). Each
// accepted connection is authenticated (connection.py's deliver_challenge then
// answer_challenge), then carries one public request (`create`, `incref`, `decref`,
// `get_methods`, `dummy`, `shutdown`, ... answered and closed) or `accept_connection`, after
// which it carries method calls `(ident, methodname, args, kwds)` until the client closes it.
// Requests go to the same Server (managers/server.ts) as the rings' requests.
// Differs from Python: no thread per connection; a call that blocks (q.get()) is parked on a
// promise and answered when it settles, and the connection's later requests wait for it (as
// they would behind CPython's thread). A client that disconnects during a parked call does not
// cancel it: as in CPython, a q.get() parked for a dead client still takes its item.

import { createServer, type Socket } from "node:net";
import { lookup } from "node:dns/promises";
import { frameHeader } from "../connection/framing.js";
import { markTuple } from "../shared/format.js";
import { AssertionError } from "../shared/pyerrors.js";
import { formatException } from "../shared/traceback.js";
import type { Server } from "./server.js";
import { kError, kProxy, kTraceback, kUnserializable, rebuildException, Token, type FlatException } from "./wire.js";
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
    return Buffer.from(b.subarray(head, head + size));
  }
}

/** Callers on sockets get numbers above every thread id (an RLock's owner is its caller). */
let nextCaller = 0x40000000;

type Reply = [string, unknown];

/** Python's AF_INET binds IPv4 only; '' is INADDR_ANY. */
async function ipv4(host: string): Promise<string> {
  if (host === "") return "0.0.0.0";
  return (await lookup(host, { family: 4 })).address;
}

/**
 * Listens on `spec.host:spec.port` and serves `server` there until the returned close() (or a
 * 'shutdown' request, after which the server loop calls it). Resolves once listening.
 * @throws the bind error (EADDRINUSE...), after storing -errno in `spec.cell`.
 */
export async function serveSocket(server: Server, spec: ListenSpec, libraryDir: string): Promise<() => void> {
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

  const encodeReply = (reply: Reply): Buffer => {
    let [kind, value] = reply;
    // XML-RPC writes an exception as the struct of its attributes (`{}`), as CPython does.
    if (kind === kError) value = spec.serializer === "pickle" ? flatForWire(value as FlatException) : rebuildException(value as FlatException);
    else if (kind === kProxy) {
      const [exposed, token] = value as [string[], Token];
      value = markTuple([markTuple([...exposed]), new Token(token.typeid, address as any, token.id)]);
    }
    try {
      return encodeWire(spec.serializer, markTuple([kind, value]));
    } catch (e) {
      return encodeWire(spec.serializer, markTuple([kUnserializable, formatException(e, libraryDir)]));
    }
  };

  net.on("connection", (sock) => {
    if (closed) return void sock.destroy();
    sockets.add(sock);
    sock.setNoDelay(true);
    const caller = nextCaller++;
    const frames = new Frames();
    let waiter: ((b: Buffer | null) => void) | null = null;
    let ended = false;
    const send = (b: Uint8Array): void => {
      if (sock.destroyed) return;
      const h = frameHeader(b.length);
      sock.write(b.length <= 16384 ? Buffer.concat([h, b]) : h);
      if (b.length > 16384) sock.write(b);
    };
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
    sock.on("data", (chunk) => {
      frames.push(chunk);
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

    const decode = (b: Buffer): [unknown, string, unknown[], Record<string, unknown> | null] => {
      const req = decodeWire(spec.serializer, b) as unknown[];
      if (!Array.isArray(req) || req.length !== 4) throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].ValueError(`not enough values to unpack (expected 4)`);
      const [ident, methodname, args, kwds] = req as [unknown, string, unknown[], Record<string, unknown> | null];
      return [ident, methodname, Array.isArray(args) ? args : [], kwds && typeof kwds === "object" && Object.keys(kwds).length ? kwds : null];
    };
    const traceback = (e: unknown): Reply => [kTraceback, e instanceof Error && (e as any).args ? formatException(e, libraryDir) : tracebackText(e)];

    void (async () => {
      try {
        await serverHandshake({ send, next }, spec.authkey);
        frames.limit = Number.MAX_SAFE_INTEGER;
        // handle_request: one public request.
        let reply: Reply;
        let funcname = "";
        try {
          const [, name, args, kwds] = decode(await next());
          funcname = name;
          if (!kPublic.has(funcname)) throw new AssertionError(`${JSON.stringify(funcname).replace(/^"|"$/g, "'")} unrecognized`);
          if (funcname === "accept_connection") reply = ["#RETURN", null];
          else reply = await server.handle(caller, null, funcname, args, kwds);
        } catch (e) {
          if ((e as Error)?.message === "EOF") throw e;
          reply = traceback(e);
        }
        send(encodeReply(reply));
        if (funcname === "shutdown") {
          // The server loop sees `stopping` and ends, closing this listener (close()).
          sock.end();
          return;
        }
        if (funcname !== "accept_connection" || reply[0] !== "#RETURN") {
          sock.end();
          return;
        }
        // serve_client: method calls until EOF, one at a time.
        for (;;) {
          const b = await next();
          let r: Reply;
          try {
            const [ident, methodname, args, kwds] = decode(b);
            r = await server.handle(caller, ident as string, methodname, args, kwds);
          } catch (e) {
            r = traceback(e);
          }
          send(encodeReply(r));
        }
      } catch {
        // EOF, or a failed handshake (the peer was told): drop the connection.
        sock.destroy();
      }
    })();
  });
  return close;
}
