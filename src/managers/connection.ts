// How a thread of the process tree talks to a manager's server (the role of CPython's
// `Client(address)` connections in Lib/multiprocessing/managers.py, one per thread as
// BaseProxy._tls). Every client writes its requests into the server's one request ring (a
// multi-writer shared/channel.ts Channel); the server writes each reply into the ring of the
// client that asked. A client makes its reply ring when it first calls, and announces it to the
// server on a BroadcastChannel named after the address (the server buffers requests of clients it
// has not heard of yet). A blocked call sleeps in Atomics.wait (any thread, main included).
// Differs from Python: no sockets inside the tree; the request and reply shapes are CPython's.

import { BroadcastChannel, getEnvironmentData, threadId } from "node:worker_threads";
import { Channel, kEOF, kTimeout } from "../shared/channel.js";
import { atExit } from "../shared/current.js";
import { definingModule } from "../popen/locate.js";
import { BrokenPipeError, EOFError } from "../shared/pyerrors.js";
import { kHeapBytes, kHeapOffset, kNotLocal, SharedHeap } from "./shared_referents.js";
import { decodeRaw, encodeMessage, finishMessage, importedModules, neededModules, type ReplyKind } from "./wire.js";

const kKnown = Symbol.for("multiprocessing-ts.managers.knownCallables");
/** Functions and classes registered with managers in this thread: what replies may name. */
export const knownCallables: Set<Function> = ((globalThis as any)[kKnown] ??= new Set());

/**
 * The module namespaces a reply needs. A thread cannot import a module synchronously, so a class
 * named by a reply (a referent's copy from `_getvalue()`) is found among the callables registered
 * here, by the module that defines it.
 */
function modulesFor(urls: string[]): Map<string, unknown> {
  if (urls.every((u) => importedModules.has(u))) return importedModules;
  const out = new Map(importedModules);
  for (const url of urls) {
    if (out.has(url)) continue;
    const ns: Record<string, unknown> = {};
    for (const fn of knownCallables) if (definingModule(fn) === url) ns[fn.name] = fn;
    out.set(url, ns);
  }
  return out;
}

/** Control cells of a manager (an Int32Array shared by the manager, its server and its clients). */
export const kCtlState = 0;
export const ServerState = { starting: 0, serving: 1, stopped: 2 } as const;
/** Cells of the control buffer: the control cells, then the heap of shared referents (managers/shared_referents.ts). */
export const kCtlCells = (kHeapOffset + kHeapBytes) / 4;

/** Bytes of a client's reply ring. */
const kReplyRing = 256 * 1024;
/** Slice of a blocked read between looks at the server's state (ms). */
const kSliceMs = 250;

/** The BroadcastChannel name a manager's server listens on for new clients. */
export function rendezvousName(address: string): string {
  return `multiprocessing-ts.manager:${address}`;
}

/** What a client's announcement carries. */
export interface Hello {
  conn: number;
  ring: SharedArrayBuffer;
}

type Reply = [ReplyKind, unknown];

/** Longest spin of an AdaptiveSpin (ms). */
const kMaxSpinMs = 0.05;

/**
 * Looks for a message on a channel for a few microseconds before its caller sleeps, as adaptive
 * mutexes do: while the other side answers within the spin (an idle machine: no futex wake-up on
 * either side), the spin stays; when spins keep failing (a busy machine, where a spinning thread
 * only takes the CPU from the one it waits for), it shrinks to nothing and is retried now and then.
 */
export class AdaptiveSpin {
  #budgetMs = 0.01;
  #skipped = 0;
  /** Spins until `ch` has a message or the budget is spent; true if a message came. */
  wait(ch: Channel): boolean {
    if (!ch.isEmpty()) return true;
    if (this.#budgetMs === 0) {
      if (++this.#skipped < 256) return false;
      this.#skipped = 0;
      this.#budgetMs = 0.005;
    }
    const until = performance.now() + this.#budgetMs;
    while (ch.isEmpty()) {
      if (performance.now() >= until) {
        this.#budgetMs = this.#budgetMs > 0.004 ? this.#budgetMs / 2 : 0;
        return false;
      }
    }
    this.#budgetMs = Math.min(this.#budgetMs * 1.5, kMaxSpinMs);
    return true;
  }
}

const kConnections = Symbol.for("multiprocessing-ts.managers.connections");
/** This thread's connections, by manager address. */
const connections: Map<string, ManagerConnection> = ((globalThis as any)[kConnections] ??= new Map());

/** One thread's connection to one manager's server. */
export class ManagerConnection {
  readonly address: string;
  readonly requests: Channel;
  readonly control: Int32Array;
  readonly conn = threadId;
  /** The manager's builtin referents in shared memory (null: a control buffer without a heap). */
  readonly heap: SharedHeap | null;
  #replies: Channel | null = null;
  #hello: BroadcastChannel | null = null;
  #nextCall = 1;
  /** Replies read by one waiter on behalf of another (an async call's, read by a sync call). */
  #arrived = new Map<number, Reply>();
  #waiting = new Map<number, (r: Reply) => void>();
  #pumping = false;
  #spin = new AdaptiveSpin();
  /** Proxies of this thread not yet closed, per id (decref'd when the thread exits). */
  readonly live = new Map<string, number>();
  /** Proxy types by typeid, as the manager registered them (for '#PROXY' replies). */
  proxytypes: Record<string, unknown> = {};

  constructor(address: string, requests: SharedArrayBuffer, control: Int32Array) {
    this.address = address;
    this.requests = new Channel(requests);
    this.control = control;
    this.heap = SharedHeap.of(control);
  }

  /**
   * Runs a call on a shared builtin referent in this thread (managers/shared_referents.ts): its
   * result, or kNotLocal when the server must serve it. Not while this thread's async calls are
   * in flight (they would be overtaken), nor once the server has stopped (the call must fail as
   * any other does).
   */
  callLocal(ident: string, methodname: string, args: readonly unknown[]): unknown {
    if (this.heap === null || this.#waiting.size > 0 || this.serverGone) return kNotLocal;
    return this.heap.call(ident, methodname, args);
  }

  /** This thread's connection to `address`, made from the manager's rings if not known yet. */
  static get(address: string, rings?: { requests: SharedArrayBuffer; control: Int32Array }): ManagerConnection | undefined {
    let c = connections.get(address);
    // A proxy that came through a queue or a pool task names its manager by address only: the
    // rings are in the environment data every worker started after the manager inherits.
    rings ??= c ? undefined : (getEnvironmentData(rendezvousName(address)) as unknown as { requests: SharedArrayBuffer; control: Int32Array } | undefined);
    if ((!c || c.serverGone) && rings) {
      c = new ManagerConnection(address, rings.requests, rings.control);
      connections.set(address, c);
    }
    return c;
  }

  /** Forgets a connection (its manager shut down). */
  static forget(address: string): void {
    const c = connections.get(address);
    if (c) c.#hello?.close();
    connections.delete(address);
  }

  get serverGone(): boolean {
    return Atomics.load(this.control, kCtlState) === ServerState.stopped;
  }

  #ensureRegistered(): Channel {
    if (this.#replies) return this.#replies;
    if (this.serverGone) throw new BrokenPipeError(32, "Broken pipe");
    this.#replies = Channel.create(kReplyRing);
    this.#hello = new BroadcastChannel(rendezvousName(this.address));
    (this.#hello as any).unref?.();
    this.#hello.postMessage({ conn: this.conn, ring: this.#replies.sab } satisfies Hello);
    return this.#replies;
  }

  #send(callId: number, ident: string | null, methodname: string, args: unknown[], kwds: Record<string, unknown> | null): void {
    if (this.serverGone) throw new BrokenPipeError(32, "Broken pipe");
    this.#ensureRegistered();
    const bytes = encodeMessage([this.conn, callId, ident, methodname, args, kwds], definingModule);
    // Written in slices, so that a server that has died is noticed instead of waited for.
    while (!this.requests.write(bytes, kSliceMs)) {
      if (this.serverGone) throw new BrokenPipeError(32, "Broken pipe");
    }
    if (this.requests.streaming) this.requests.flush(Infinity);
  }

  #readOne(ms: number): Reply | null | typeof kEOF {
    const r = this.#replies!.read(ms, decodeRaw);
    if (r === kTimeout) return null;
    if (r === kEOF) return kEOF;
    const msg = finishMessage(r, modulesFor(neededModules(r))) as [number, ReplyKind, unknown];
    const [callId, kind, value] = msg;
    const reply: Reply = [kind, value];
    const w = this.#waiting.get(callId);
    if (w) {
      this.#waiting.delete(callId);
      w(reply);
    } else {
      this.#arrived.set(callId, reply);
    }
    return reply;
  }

  /** Sends a request and waits for its reply, blocking this thread. */
  call(ident: string | null, methodname: string, args: unknown[] = [], kwds: Record<string, unknown> | null = null): Reply {
    const callId = this.#nextCall++;
    this.#send(callId, ident, methodname, args, kwds);
    for (;;) {
      const got = this.#arrived.get(callId);
      if (got) {
        this.#arrived.delete(callId);
        return got;
      }
      this.#spin.wait(this.#replies!);
      const r = this.#readOne(kSliceMs);
      if (r === null && this.serverGone && this.#replies!.isEmpty()) throw new EOFError();
    }
  }

  /** Sends a request and resolves with its reply without blocking the event loop. */
  callAsync(ident: string | null, methodname: string, args: unknown[] = [], kwds: Record<string, unknown> | null = null): Promise<Reply> {
    const callId = this.#nextCall++;
    this.#send(callId, ident, methodname, args, kwds);
    const p = new Promise<Reply>((resolve) => this.#waiting.set(callId, resolve));
    void this.#pump();
    return p;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiting.size > 0) {
        for (const [id, reply] of this.#arrived) {
          const w = this.#waiting.get(id);
          if (w) {
            this.#arrived.delete(id);
            this.#waiting.delete(id);
            w(reply);
          }
        }
        if (this.#waiting.size === 0) break;
        if (this.#readOne(0) === null) {
          if (this.serverGone && this.#replies!.isEmpty()) {
            for (const [id, w] of this.#waiting) {
              this.#waiting.delete(id);
              w(["#TRACEBACK", "EOFError: the manager's server has gone\n"]);
            }
            break;
          }
          await this.#replies!.pollAsync(kSliceMs);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Sends a request whose reply nobody waits for (a decref from a finalizer). */
  post(ident: string | null, methodname: string, args: unknown[] = []): void {
    if (this.serverGone) return;
    try {
      this.#send(0, ident, methodname, args, null);
    } catch {
      // the server has gone: nothing to release
    }
  }
}

// As CPython's proxies decref when the process exits: what this thread still holds is released.
atExit(() => {
  for (const c of connections.values()) {
    for (const [id, n] of c.live) for (let i = 0; i < n; i++) c.post(null, "decref", [id]);
    c.live.clear();
  }
}, 5);
