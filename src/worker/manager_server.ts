// The manager's server process: CPython's BaseManager._run_server + Server.serve_forever
// (Lib/multiprocessing/managers.py, PSF-2.0). It runs as the target of an ordinary child process
// (spawn or forkserver), so it has a name (`SyncManager-1`), a pid and an exit code, and it
// imports the modules of the registered callables as any child imports its target's.
// The loop reads requests from the request ring, dispatches them (managers/server.ts) and writes
// each reply into the asking client's ring. While clients are active it sleeps on the request
// ring in short slices and turns its event loop between them (every 0.1 ms while clients on a
// socket call too: the event loop is what serves them); when quiet, it waits with
// Atomics.waitAsync. Either way its event loop runs: clients announce themselves on a BroadcastChannel, and parked calls (a blocked q.get(),
// lock.acquire(), ev.wait()) settle through promises and timers while others are served.

import { BroadcastChannel } from "node:worker_threads";
import { publishEnv } from "../shared/envdata.js";
import { Channel, kEOF, kTimeout } from "../shared/channel.js";
import { registerTsxFor } from "./tsx.js";
import { definingModule } from "../popen/locate.js";
import { formatException } from "../shared/traceback.js";
import { AdaptiveSpin, kCtlState, rendezvousName, ServerState, type Hello } from "../managers/connection.js";
import { LocalProxyRef, Server, type ServerEntry } from "../managers/server.js";
import { builtinCallable } from "../managers/builtins.js";
import { HeapServer, SharedHeap } from "../managers/shared_referents.js";
import { serverHooks } from "../managers/proxies.js";
import { decodeRaw, encodeMessage, finishMessage, importedModules, kTraceback, neededModules } from "../managers/wire.js";

/** What the manager sends its server process (Process args). */
export interface ServerSpec {
  address: string;
  /** typeid → [callable (a function, a "builtin:<name>" string, or null), exposed, method_to_typeid]. */
  registry: Record<string, [unknown, string[] | null, Record<string, string> | null]>;
  requests: SharedArrayBuffer;
  control: Int32Array;
  /** Also serve on a socket (a manager with a `[host, port]` address): managers/remote_server.ts. */
  listen?: import("../managers/remote_server.js").ListenSpec;
}

const libraryDir = new URL("../", import.meta.url).href;
/** Longest sleep on the request ring between turns of the event loop while clients are active (ms). */
const kActiveSliceMs = 1;
/** Quiet time after which the server sleeps in the event loop only (ms). */
const kIdleMs = 50;
/** While clients on the socket are active too: longest time between turns of the event loop, which serves them (ms). */
const kSocketTurnMs = 0.1;

async function importModule(url: string): Promise<void> {
  if (importedModules.has(url)) return;
  await registerTsxFor([url]);
  importedModules.set(url, await import(url));
}

/** Runs a manager's server until a 'shutdown' request: the target of the manager's process. */
export async function run_server(spec: ServerSpec, initializer: ((...a: unknown[]) => unknown) | null, initargs: unknown[]): Promise<void> {
  if (initializer) initializer(...(initargs ?? []));
  const registry: Record<string, ServerEntry> = {};
  for (const [typeid, [callable, exposed, m2t]] of Object.entries(spec.registry)) {
    const fn = typeof callable === "string" ? builtinCallable(callable) : (callable as ServerEntry["callable"]);
    registry[typeid] = { callable: fn, exposed, method_to_typeid: m2t };
  }
  const server = new Server(registry, spec.address);
  // However this process ends (an error of ours, process.exit() in a referent's method), clients
  // waiting for a reply are told instead of sleeping forever.
  process.on("exit", () => {
    Atomics.store(spec.control, kCtlState, ServerState.stopped);
    Atomics.notify(spec.control, kCtlState);
  });
  // The builtin dict, list, Namespace and Value referents live in shared memory while they can, so that
  // clients call them without waking this thread (managers/shared_referents.ts).
  const heap = SharedHeap.of(spec.control);
  if (heap) {
    const shared = new HeapServer(heap, spec.registry);
    server.hooks = {
      registered: (ident, typeid, obj, exposed) => shared.registered(ident, typeid, obj, exposed),
      enter: (ident, methodname) => shared.enter(ident, methodname),
      released: (ident) => shared.released(ident),
    };
  }
  serverHooks.address = spec.address;
  serverHooks.localRef = (state) => server.localRef(state);
  serverHooks.resolve = (v) => server.resolve(v);
  const socket = spec.listen ? await (await import("../managers/remote_server.js")).serveSocket(server, spec.listen, libraryDir) : null;
  // Socket clients are served by the event loop only, which the loop below turns every 2 ms
  // while ring clients keep it busy: while socket clients call too, it turns it every
  // kSocketTurnMs (each of their calls would wait up to 2 ms, for a round trip of 0.2 ms).
  const turnMs = (now: number): number => (socket !== null && now - socket.lastCall < kIdleMs ? kSocketTurnMs : 2);

  // Processes and pool workers this server starts find it by address, as the manager's own children do.
  publishEnv(rendezvousName(spec.address), { requests: spec.requests, control: spec.control });
  const requests = new Channel(spec.requests);
  const clients = new Map<number, Channel>();
  /** Requests of clients whose announcement has not arrived yet. */
  const early = new Map<number, unknown[][]>();
  /** Replies that did not fit in a client's ring (a client that stopped reading). */
  const backlog = new Map<number, Uint8Array[]>();

  const send = (conn: number, callId: number, reply: [string, unknown]): void => {
    if (callId === 0) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage([callId, reply[0], reply[1]], definingModule);
    } catch (e) {
      bytes = encodeMessage([callId, kTraceback, formatException(e, libraryDir)]);
    }
    const ch = clients.get(conn);
    if (!ch) return;
    const waiting = backlog.get(conn);
    if (waiting || !ch.write(bytes, 0)) {
      const copy = Uint8Array.from(bytes);
      if (waiting) waiting.push(copy);
      else backlog.set(conn, [copy]);
    }
  };

  const flushBacklog = (): void => {
    for (const [conn, items] of backlog) {
      const ch = clients.get(conn)!;
      if (ch.streaming && !ch.flush(0)) continue;
      while (items.length && ch.write(items[0]!, 0)) {
        items.shift();
        if (ch.streaming && !ch.flush(0)) break;
      }
      if (items.length === 0) backlog.delete(conn);
    }
  };

  const dispatch = async (msg: unknown[]): Promise<void> => {
    const mods = neededModules(msg);
    let req: unknown[];
    try {
      for (const url of mods) await importModule(url);
      req = finishMessage(msg, importedModules);
    } catch (e) {
      send(msg[0] as number, msg[1] as number, [kTraceback, formatException(e, libraryDir)]);
      return;
    }
    const [conn, callId, ident, methodname, args, kwds] = req as [number, number, string | null, string, unknown[], Record<string, unknown> | null];
    const reply = server.handle(conn, ident, methodname, args, kwds);
    if (reply instanceof Promise) reply.then((r) => send(conn, callId, r));
    else send(conn, callId, reply);
  };

  const route = (msg: unknown[]): void => {
    const conn = msg[0] as number;
    if (!clients.has(conn)) {
      const list = early.get(conn);
      if (list) list.push(msg);
      else early.set(conn, [msg]);
      return;
    }
    const mods = neededModules(msg);
    if (mods.every((u) => importedModules.has(u))) {
      // The common case runs synchronously: replies go out in request order.
      const req = finishMessage(msg, importedModules) as [number, number, string | null, string, unknown[], Record<string, unknown> | null];
      const [, callId, ident, methodname, args, kwds] = req;
      let reply;
      try {
        reply = server.handle(conn, ident, methodname, args, kwds);
      } catch (e) {
        reply = [kTraceback, formatException(e, libraryDir)] as [string, unknown];
      }
      if (reply instanceof Promise) {
        parked++;
        reply.then((r) => {
          parked--;
          send(conn, callId, r);
        });
      } else send(conn, callId, reply as [string, unknown]);
    } else {
      void dispatch(msg);
    }
  };

  /** Calls waiting for their promise (a parked acquire); a call that completes one queues its reply as a microtask. */
  let parked = 0;
  const hello = new BroadcastChannel(rendezvousName(spec.address));
  hello.onmessage = (ev: any) => {
    const h = ev.data as Hello;
    clients.set(h.conn, new Channel(h.ring));
    const list = early.get(h.conn);
    early.delete(h.conn);
    for (const m of list ?? []) route(m);
  };

  // Stored only once the rendezvous channel listens: a client announced before it would be lost.
  // The manager sleeps on this cell (see BaseManager.start) and is woken by the notify.
  Atomics.store(spec.control, kCtlState, ServerState.serving);
  Atomics.notify(spec.control, kCtlState);
  let lastYield = performance.now();
  let lastRequest = lastYield;
  const spin = new AdaptiveSpin();
  try {
    while (!server.stopping) {
      const m = requests.read(0, decodeRaw);
      if (m !== kTimeout && m !== kEOF) {
        lastRequest = performance.now();
        try {
          route(m);
        } catch (e) {
          send(m[0] as number, m[1] as number, [kTraceback, formatException(e, libraryDir)]);
        }
        // A call may have completed a parked one (release() hands the lock over): its reply is a
        // microtask, let it out now. Announcements and timers get through now and then.
        if (parked > 0) await undefined;
        const now = performance.now();
        if (now - lastYield > turnMs(now) || early.size > 0) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
        continue;
      }
      if (backlog.size) flushBacklog();
      // Nothing to read. While clients are active, sleep on the ring itself (a futex wake is
      // much quicker than the event loop's) in slices of kActiveSliceMs, turning the event loop
      // between slices for announcements and timers; after kIdleMs of quiet, sleep in the
      // event loop only.
      if (performance.now() - lastRequest < kIdleMs) {
        const turn = turnMs(performance.now());
        if (spin.wait(requests) || requests.poll(Math.min(kActiveSliceMs, turn))) {
          lastRequest = performance.now();
          if (lastRequest - lastYield < turn && early.size === 0) continue;
        }
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      } else {
        // Back to the active mode only when a request came: a timeout (every second while idle)
        // that did so would block the event loop in slices for kIdleMs, and with it the
        // clients on the socket (managers/remote_server.ts).
        const came = await requests.pollAsync(backlog.size || early.size ? 5 : 1000);
        lastYield = performance.now();
        if (came) lastRequest = lastYield;
      }
    }
  } finally {
    socket?.close();
    hello.close();
    // Stored after the last reply is written: a client that sees "stopped" with an empty reply
    // ring knows no reply is coming (connection.ts), instead of sleeping forever.
    Atomics.store(spec.control, kCtlState, ServerState.stopped);
    Atomics.notify(spec.control, kCtlState);
  }
}

void LocalProxyRef;
