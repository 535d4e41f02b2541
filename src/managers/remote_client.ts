// A client's side of a manager served on a socket (CPython's Lib/multiprocessing/managers.py,
// PSF-2.0: `dispatch()`, BaseProxy._connect / _callmethod / _incref / _decref, BaseManager.connect,
// over connection.Client). Public requests (create, incref, decref, get_methods, dummy, shutdown)
// each go on a new authenticated connection, as CPython sends them; method calls go on a
// connection opened with `accept_connection` and kept for the next call. The sockets live in this
// process's socket host thread (connection/listener.ts), so calls block without an event loop.
// Also: which connection serves an address (`connectionFor`): a `[host, port]` address whose
// server runs in this process tree is reached through its rings (managers/connection.ts), any
// other through a socket.
// Differs from Python: a thread keeps a small pool of method-call connections instead of one, so
// that `_async` calls of one thread can be in flight together.

import { getEnvironmentData } from "node:worker_threads";
import { publishEnv } from "../shared/envdata.js";
import { Client } from "../connection/listener.js";
import type { Connection } from "../connection.js";
import { markTuple } from "../shared/format.js";
import { atExit } from "../shared/current.js";
import { UnpicklingError } from "../shared/pickle.js";
import { ManagerConnection } from "./connection.js";
import { kError, kTraceback, flattenException, type ReplyKind } from "./wire.js";
import { decodeWire, encodeWire, isInetAddress, type InetAddress, type SerializerName } from "./remote_wire.js";

type Reply = [ReplyKind, unknown];

/** The environment-data name under which a socket address's in-tree ring address is published. */
export function aliasName(address: InetAddress): string {
  return `multiprocessing-ts.manager-alias:${address[0]}:${address[1]}`;
}

/** Publishes (or withdraws, with null) the ring address of the manager serving `address`. */
export function publishAlias(address: InetAddress, ring: string | null): void {
  publishEnv(aliasName(address), ring ?? undefined);
}

/** The ring address of the in-tree manager serving `address`, if any. */
export function ringOf(address: InetAddress): string | undefined {
  return getEnvironmentData(aliasName(address)) as string | undefined;
}

const kRemotes = Symbol.for("multiprocessing-ts.managers.remotes");
const remotes: Map<string, RemoteConnection> = ((globalThis as any)[kRemotes] ??= new Map());

/** How many idle method-call connections a thread keeps per server. */
const kIdleMax = 4;

/** One thread's connections to one manager served on a socket. */
export class RemoteConnection {
  readonly address: InetAddress;
  authkey: Uint8Array;
  readonly serializer: SerializerName;
  readonly #idle: Connection[] = [];
  #closed = false;
  /** Proxies of this thread not yet closed, per id. */
  readonly live = new Map<string, number>();
  /** Proxy types by typeid, as the manager registered them (for '#PROXY' replies). */
  proxytypes: Record<string, unknown> = {};
  /** Set when a call found the server gone. */
  serverGone = false;

  constructor(address: InetAddress, authkey: Uint8Array, serializer: SerializerName) {
    this.address = markTuple([address[0], address[1]]) as unknown as InetAddress;
    this.authkey = authkey;
    this.serializer = serializer;
  }

  /** This thread's connection to `address` (one per address and serializer). */
  static get(address: InetAddress, authkey: Uint8Array | null, serializer: SerializerName = "pickle"): RemoteConnection {
    const key = `${address[0]}:${address[1]}:${serializer}`;
    let c = remotes.get(key);
    if (!c || c.#closed) {
      c = new RemoteConnection(address, authkey ?? new Uint8Array(0), serializer);
      remotes.set(key, c);
    } else if (authkey) c.authkey = authkey;
    return c;
  }

  /** Forgets this thread's connections to `address`, closing the idle ones. */
  static forget(address: InetAddress): void {
    for (const [k, c] of remotes) {
      if (c.address[0] === address[0] && c.address[1] === address[1]) {
        c.close();
        remotes.delete(k);
      }
    }
  }

  #open(): Connection {
    const c = Client(this.address, { authkey: this.authkey.length ? this.authkey : null });
    return c;
  }

  #exchange(c: Connection, request: unknown[]): Reply {
    c.send_bytes(encodeWire(this.serializer, markTuple(request)));
    return this.#reply(c.recv_bytes());
  }

  #reply(bytes: Buffer): Reply {
    let msg: unknown;
    try {
      msg = decodeWire(this.serializer, bytes);
    } catch (e) {
      // A reply naming a class this side cannot rebuild (a Python class of the server's).
      if (e instanceof UnpicklingError) return [kTraceback, `UnpicklingError: the manager's reply could not be read here: ${e.message}\n`];
      throw e;
    }
    const [kind, value] = msg as [ReplyKind, unknown];
    // '#ERROR' carries the exception itself on a socket; the proxies rebuild it from its description.
    if (kind === kError) {
      if (value instanceof Error) return [kind, flattenException(value)];
      return [kTraceback, `TypeError: exceptions must derive from BaseException (the server sent ${JSON.stringify(value)} as an error: ${this.serializer} cannot carry exceptions)\n`];
    }
    return [kind, value];
  }

  /** CPython's `dispatch(conn, None, methodname, args)` on a new connection. */
  #public(methodname: string, args: unknown[], kwds: Record<string, unknown> | null): Reply {
    const c = this.#open();
    try {
      return this.#exchange(c, [null, methodname, markTuple([...args]), kwds ?? {}]);
    } finally {
      c.close();
    }
  }

  /** A method-call connection (CPython's BaseProxy._connect: 'accept_connection'). */
  #take(): Connection {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const c = this.#open();
    try {
      const [kind, value] = this.#exchange(c, [null, "accept_connection", markTuple(["MainProcess|Thread"]), {}]);
      if (kind !== "#RETURN") throw Object.assign(new Error(String(value)), { reply: [kind, value] });
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  #give(c: Connection): void {
    if (this.#closed || this.#idle.length >= kIdleMax) c.close();
    else this.#idle.push(c);
  }

  /** Sends a request and waits for its reply, blocking this thread. */
  call(ident: string | null, methodname: string, args: unknown[] = [], kwds: Record<string, unknown> | null = null): Reply {
    if (ident === null) return this.#public(methodname, args, kwds);
    const c = this.#take();
    let reply: Reply;
    try {
      reply = this.#exchange(c, [ident, methodname, markTuple([...args]), kwds ?? {}]);
    } catch (e) {
      c.close();
      throw e;
    }
    this.#give(c);
    return reply;
  }

  /** Sends a request and resolves with its reply without blocking the event loop while it waits. */
  async callAsync(ident: string | null, methodname: string, args: unknown[] = [], kwds: Record<string, unknown> | null = null): Promise<Reply> {
    if (ident === null) return this.#public(methodname, args, kwds);
    const c = this.#take();
    try {
      c.send_bytes(encodeWire(this.serializer, markTuple([ident, methodname, markTuple([...args]), kwds ?? {}])));
      await c.poll_async(null);
      const reply = this.#reply(c.recv_bytes());
      this.#give(c);
      return reply;
    } catch (e) {
      c.close();
      throw e;
    }
  }

  /** Sends a request whose reply nobody waits for (a decref): errors are ignored. */
  post(ident: string | null, methodname: string, args: unknown[] = []): void {
    if (this.#closed || this.serverGone) return;
    try {
      this.call(ident, methodname, args);
    } catch {
      this.serverGone = true;
    }
  }

  /** Closes the idle connections. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.close();
  }
}

/** Options of connectionFor(). */
export interface ConnectionOptions {
  authkey?: Uint8Array | null;
  serializer?: string;
  rings?: { requests: SharedArrayBuffer; control: Int32Array };
  /** The ring address the rings belong to (a proxy of a socket manager sent to a child). */
  ring?: string;
}

/**
 * The connection that serves `address` in this thread: the rings of an in-tree manager (by its
 * ring address, or a socket address it also serves, unless the serializer is xmlrpclib), else a
 * socket connection.
 */
export function connectionFor(address: unknown, options: ConnectionOptions = {}): ManagerConnection | RemoteConnection | undefined {
  if (typeof address === "string") return ManagerConnection.get(address, options.rings);
  if (!isInetAddress(address)) return undefined;
  // With xmlrpclib, every client goes through the socket: what the serializer cannot carry fails
  // in this tree as it would on another machine (the rings would carry it).
  const ring = options.ring ?? (options.serializer === "xmlrpclib" ? undefined : ringOf(address));
  if (ring) {
    const c = ManagerConnection.get(ring, options.rings);
    if (c && !c.serverGone) return c;
  }
  return RemoteConnection.get(address, options.authkey ?? null, (options.serializer as SerializerName) ?? "pickle");
}

// As CPython's proxies decref when the process exits: what this thread still holds is released.
atExit(() => {
  for (const c of remotes.values()) {
    for (const [id, n] of c.live) for (let i = 0; i < n; i++) c.post(null, "decref", [id]);
    c.live.clear();
    c.close();
  }
}, 5);
