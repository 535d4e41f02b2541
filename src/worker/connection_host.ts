// The socket host of Listener/Client (port of the socket side of CPython
// Lib/multiprocessing/connection.py, PSF-2.0: SocketListener, SocketClient, the framing of
// Connection._send_bytes/_recv_bytes). Node sockets need an event loop, and a thread blocked in
// recv() has none turning: so one host thread per process owns the sockets. Each socket's
// messages are pumped between the socket and two shared-memory channels (shared/channel.ts):
// complete frames from the socket go into the inbound channel, where the caller reads them with
// Atomics (no event loop on its side); messages the caller writes into the outbound channel go out
// as frames. Requests (listen, accept, connect...) arrive on a MessagePort; replies are posted
// back and announced through a shared counter the caller waits on.

import { lookup } from "node:dns/promises";
import { writeSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { getSystemErrorMap } from "node:util";
import { workerData, type MessagePort } from "node:worker_threads";
import { Channel, kEOF, kTimeout } from "../shared/channel.js";
import { FrameReader, FrameTooLarge, frameHeader, kShortMax } from "../connection/framing.js";
import { lockAcquire, lockRelease, kUnlocked } from "../shared/semlock.js";
import { kHostGone, kPosted, kStateCells, kStateError, kStateFd, kStateFdGone, kStateFdLock, kStateMsgLock, kStateSize, type ConnHandles, type HostError, type Reply, type Request } from "../connection/protocol.js";

const { port, control } = workerData as { port: MessagePort; control: Int32Array };

/** Socket messages queued for the caller beyond this many bytes pause the socket. */
const kQueueHighWater = 8 << 20;
/** Payloads up to this size go out in one write with their header (as CPython, against Nagle). */
const kConcatMax = 16384;

process.on("uncaughtException", (err) => {
  writeSync(2, `multiprocessing-ts: the connection host thread failed:\n${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
process.on("exit", (code) => {
  // Wake every caller blocked on a reply: they see kHostGone instead of hanging.
  Atomics.store(control, kHostGone, 1 + (code | 0));
  Atomics.add(control, kPosted, 1);
  Atomics.notify(control, kPosted);
});

function reply(msg: Reply): void {
  port.postMessage(msg);
  // The caller loads the counter before draining the port: bumping it after the post means a
  // reply posted after its drain always changes the value it sleeps on.
  Atomics.add(control, kPosted, 1);
  Atomics.notify(control, kPosted);
}

const errorMap = getSystemErrorMap();
function flatten(err: any): HostError {
  const code = String(err?.code ?? "EIO");
  let errno = typeof err?.errno === "number" ? Math.abs(err.errno) : 5;
  let message = String(err?.message ?? err);
  if (code === "ENOTFOUND" || code === "EAI_NONAME") return { code: "EAI_NONAME", errno: -2, message: "Name or service not known" };
  const known = typeof err?.errno === "number" ? errorMap.get(err.errno) : undefined;
  if (known) message = known[1].charAt(0).toUpperCase() + known[1].slice(1);
  else errno = 5;
  return { code, errno, message };
}

/** Python's AF_INET resolves names to IPv4 only; '' is INADDR_ANY. */
async function ipv4(host: string): Promise<string> {
  if (host === "") return "0.0.0.0";
  return (await lookup(host, { family: 4 })).address;
}

interface Conn {
  cid: number;
  sock: Socket;
  inbound: Channel;
  outbound: Channel;
  state: Int32Array;
  queue: Buffer[];
  queued: number;
  pumping: boolean;
  peerEnded: boolean;
  writerDropped: boolean;
  readerDropped: boolean;
  finished: boolean;
  closeWaiters: number[];
  handles: ConnHandles;
  reader: FrameReader;
}

interface Listening {
  server: Server;
  pending: Conn[];
  waiters: number[];
  capacity: number;
  limit: number;
  unix: boolean;
}

let nextId = 1;
const listeners = new Map<number, Listening>();
const conns = new Map<number, Conn>();

const copyOut = (b: Buffer, s: number, l: number): Buffer => (b.buffer instanceof SharedArrayBuffer ? Buffer.from(b.subarray(s, s + l)) : b.subarray(s, s + l));

function makeConn(sock: Socket, capacity: number, limit: number, peer: [string, number] | string): Conn {
  const cid = nextId++;
  const inbound = Channel.create(capacity);
  const outbound = Channel.create(capacity);
  const state = new Int32Array(new SharedArrayBuffer(4 * kStateCells));
  state[kStateFdLock] = kUnlocked;
  state[kStateMsgLock] = kUnlocked;
  // Callers write frames straight to the descriptor with writeSync (no hop through this
  // thread). The descriptor must never be closed under a write in progress, or a write could
  // land on a reused number: closing takes the same lock each write(2) holds, and marks it gone.
  const fd = (sock as any)._handle?.fd;
  state[kStateFd] = typeof fd === "number" && fd >= 0 ? fd : -1;
  const destroy = sock.destroy.bind(sock);
  sock.destroy = ((err?: Error) => {
    if (Atomics.load(state, kStateFdGone) === 0) {
      // Bounded: a writer terminated inside its write(2) section never releases the lock.
      const locked = lockAcquire(state, kStateFdLock, 1000);
      Atomics.store(state, kStateFdGone, 1);
      if (locked) lockRelease(state, kStateFdLock);
    }
    return destroy(err);
  }) as typeof sock.destroy;
  // The channel to the caller carries messages up to 2 GiB - 1 (its lengths are 32-bit).
  const reader = new FrameReader(Math.min(limit, kShortMax));
  const c: Conn = {
    cid, sock, inbound, outbound, state, queue: [], queued: 0, pumping: false, peerEnded: false,
    writerDropped: false, readerDropped: false, finished: false, closeWaiters: [],
    handles: { cid, inbound: inbound.sab, outbound: outbound.sab, state: state.buffer as SharedArrayBuffer, peer },
    reader,
  };
  conns.set(cid, c);
  if (typeof (sock as any).setNoDelay === "function" && sock.remoteFamily) sock.setNoDelay(true);
  sock.on("data", (chunk: Buffer) => {
    try {
      reader.push(chunk, (p) => {
        c.queue.push(p);
        c.queued += p.length;
      });
    } catch (e) {
      // Over the caller's size limit (or a header CPython never writes): stop reading; the
      // caller gets what came before, then an error instead of EOF.
      state[kStateSize] = e instanceof FrameTooLarge ? Math.min(e.size, 0x7fffffff) : 0;
      Atomics.store(state, kStateError, e instanceof FrameTooLarge ? (e.size > limit ? 1 : 3) : 2);
      sock.destroy();
    }
    if (c.queued > kQueueHighWater) sock.pause();
    void pumpIn(c);
  });
  sock.on("error", () => {});
  sock.on("end", () => {
    c.peerEnded = true;
    void pumpIn(c);
  });
  sock.on("close", () => {
    c.peerEnded = true;
    void pumpIn(c);
    // Sends after this raise BrokenPipeError in the caller.
    if (!c.readerDropped) {
      c.readerDropped = true;
      outbound.addHandle("reader", -1);
    }
    if (c.finished) forget(c);
  });
  void pumpOut(c);
  return c;
}

/** Moves queued socket messages into the inbound channel as room allows. */
async function pumpIn(c: Conn): Promise<void> {
  if (c.pumping) return;
  c.pumping = true;
  try {
    const ch = c.inbound;
    for (;;) {
      if (ch.readersGone) {
        c.queue.length = 0;
        c.queued = 0;
        break;
      }
      if (ch.streaming) {
        if (!ch.flush(0)) await ch.waitRoomAsync(1000);
        continue;
      }
      const p = c.queue[0];
      if (p === undefined) break;
      if (!ch.write(p, 0)) {
        await ch.waitRoomAsync(1000);
        continue;
      }
      c.queue.shift();
      c.queued -= p.length;
      // Copied into the ring (or, streamed, owned by the channel now): its memory may be reused.
      if (!ch.streaming) c.reader.recycle(p);
      if (c.queued <= kQueueHighWater / 2 && c.sock.isPaused()) c.sock.resume();
    }
    if (c.peerEnded && c.queue.length === 0 && !ch.streaming && !c.writerDropped) {
      // Everything the peer sent is in: the caller reads EOF next (or the size error).
      c.writerDropped = true;
      ch.addHandle("writer", -1);
    }
  } finally {
    c.pumping = false;
  }
  if (c.queue.length > 0 && !c.inbound.readersGone) void pumpIn(c);
}

/** Sends the caller's messages as frames until the caller closes its end. */
async function pumpOut(c: Conn): Promise<void> {
  const ch = c.outbound;
  const sock = c.sock;
  for (;;) {
    await ch.pollAsync(Infinity);
    sock.cork();
    let needDrain = false;
    for (;;) {
      const r = ch.read(0, copyOut);
      if (r === kTimeout) break;
      if (r === kEOF) {
        sock.uncork();
        finish(c);
        return;
      }
      if (sock.destroyed) continue;
      const h = frameHeader(r.length);
      let ok: boolean;
      if (r.length <= kConcatMax) ok = sock.write(r.length === 0 ? h : Buffer.concat([h, r]));
      else {
        sock.write(h);
        ok = sock.write(r);
      }
      if (!ok) {
        needDrain = true;
        break;
      }
    }
    sock.uncork();
    if (needDrain && !sock.destroyed) await drainOrClose(sock);
  }
}

/** Resolves on the socket's next 'drain' or 'close', leaving no listener behind. */
function drainOrClose(sock: Socket): Promise<void> {
  return new Promise((res) => {
    const done = () => {
      sock.off("drain", done);
      sock.off("close", done);
      res();
    };
    sock.on("drain", done);
    sock.on("close", done);
  });
}

/** The caller closed its end: flush what it sent, close the socket, then tell it. */
function finish(c: Conn): void {
  if (c.finished) return;
  const done = () => {
    if (c.finished) return;
    c.finished = true;
    c.sock.destroy();
    for (const id of c.closeWaiters) reply({ id, done: true });
    c.closeWaiters = [];
    forget(c);
  };
  if (c.sock.destroyed || !c.sock.writable) done();
  else {
    c.sock.end(done);
    c.sock.once("close", done);
  }
}

function forget(c: Conn): void {
  if (!c.readerDropped) {
    c.readerDropped = true;
    c.outbound.addHandle("reader", -1);
  }
  if (!c.writerDropped) {
    c.writerDropped = true;
    c.inbound.addHandle("writer", -1);
  }
  conns.delete(c.cid);
}

async function listen(m: Extract<Request, { op: "listen" }>): Promise<void> {
  // Half-open: the peer's FIN must not close the descriptor callers write to (see makeConn).
  const server = createServer({ noDelay: true, allowHalfOpen: true });
  const a = m.address;
  const opts = a.family === "AF_INET" ? { host: await ipv4(a.host), port: a.port, backlog: m.backlog, exclusive: true } : { path: a.path, backlog: m.backlog, exclusive: true };
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(opts, () => {
      server.off("error", rej);
      res();
    });
  });
  const lid = nextId++;
  const l: Listening = { server, pending: [], waiters: [], capacity: m.capacity, limit: m.limit, unix: a.family === "AF_UNIX" };
  listeners.set(lid, l);
  server.on("connection", (sock) => {
    const peer: [string, number] | string = l.unix ? "" : [sock.remoteAddress ?? "", sock.remotePort ?? 0];
    const c = makeConn(sock, l.capacity, l.limit, peer);
    const waiter = l.waiters.shift();
    if (waiter !== undefined) reply({ id: waiter, conn: c.handles });
    else l.pending.push(c);
  });
  server.on("error", () => {});
  const addr = server.address();
  reply({ id: m.id, lid, address: typeof addr === "string" ? addr : addr ? [addr.address, addr.port] : "" });
}

async function connectTo(m: Extract<Request, { op: "connect" }>): Promise<void> {
  const a = m.address;
  const sock = a.family === "AF_INET" ? connect({ host: await ipv4(a.host), port: a.port, family: 4, noDelay: true, allowHalfOpen: true }) : connect({ path: a.path, allowHalfOpen: true });
  await new Promise<void>((res, rej) => {
    sock.once("error", rej);
    sock.once("connect", () => {
      sock.off("error", rej);
      res();
    });
  });
  const peer: [string, number] | string = a.family === "AF_INET" ? [sock.remoteAddress ?? "", sock.remotePort ?? 0] : a.path;
  const c = makeConn(sock, m.capacity, m.limit, peer);
  reply({ id: m.id, conn: c.handles });
}

async function handle(m: Request): Promise<void> {
  switch (m.op) {
    case "listen":
      return listen(m);
    case "connect":
      return connectTo(m);
    case "accept": {
      const l = listeners.get(m.lid);
      if (!l) return reply({ id: m.id, error: { code: "ECLOSED", errno: 0, message: "listener is closed" } });
      const c = l.pending.shift();
      if (c) reply({ id: m.id, conn: c.handles });
      else l.waiters.push(m.id);
      return;
    }
    case "closeListener": {
      const l = listeners.get(m.lid);
      listeners.delete(m.lid);
      if (!l) return reply({ id: m.id, done: true });
      for (const c of l.pending) {
        c.sock.destroy();
        forget(c);
      }
      for (const w of l.waiters) reply({ id: w, error: { code: "ECLOSED", errno: 0, message: "listener is closed" } });
      // Closing the server's handle unlinks an AF_UNIX path (as CPython's Finalize does). Its
      // callback waits for the accepted connections to end as well: not ours to wait for.
      l.server.close();
      await new Promise((res) => setImmediate(res));
      return reply({ id: m.id, done: true });
    }
    case "closed": {
      const c = conns.get(m.cid);
      if (!c || c.finished) return reply({ id: m.id, done: true });
      c.closeWaiters.push(m.id);
      return;
    }
  }
}

port.on("message", (m: Request) => {
  handle(m).catch((err) => reply({ id: m.id, error: flatten(err) }));
});
