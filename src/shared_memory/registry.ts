// Part of the shared_memory module (CPython Lib/multiprocessing/shared_memory.py, PSF-2.0): the
// name table that POSIX shm_open()/shm_unlink() give CPython, for a process tree that lives in
// one OS process.
//
// A segment is a SharedArrayBuffer, and a thread can only obtain a SharedArrayBuffer object
// through a message. So the buffers live in a *registry host*: a tiny plain-JavaScript worker
// (no library loaded, ~60 KB of heap) that does nothing but answer requests, so it always
// answers, even while every process of the tree is blocked or busy. The main thread starts it on
// its first use of shared_memory; a child that needs it first asks the main thread to start it.
// Which names exist is decided in the shared directory (directory.ts) without a round trip:
// create and unlink only post their buffer or name to the host; attach asks the host for the
// buffer (once per thread, while nothing is unlinked).
//
// Transport: any thread reaches the host through a BroadcastChannel with a well-known name, and
// gets replies on a BroadcastChannel of its own, read synchronously with receiveMessageOnPort
// after sleeping on a one-cell reply word (semlock.waitWhile). A thread that cannot reach the
// host within kReachMs gets a clear error, never an endless wait.
//
// Lifetime: the host holds a segment from creation to unlink; each SharedMemory holds it from
// attach to close(). Once unlinked and closed everywhere, nothing references the buffer and the
// garbage collector frees it. Whatever is still linked when the OS process ends goes with it.

import { BroadcastChannel, isMainThread, receiveMessageOnPort, threadId, Worker } from "node:worker_threads";
import { waitWhile } from "../shared/semlock.js";
import { RuntimeError } from "../shared/pyerrors.js";
import { Directory, newDirectory } from "./directory.js";

const kPrefix = "multiprocessing-ts.shm.v1";
/** Requests to the host. */
const kRequestChannel = `${kPrefix}.request`;
/** Requests to the main thread to start the host (sent by children). */
const kBootChannel = `${kPrefix}.boot`;

/** How long a thread tries to reach a host it has never reached (it may be booting), in ms. */
const kReachMs = 5000;
/** How long a reached host may take to answer one request, in ms (it only touches a Map). */
const kAnswerMs = 30000;
/** Interval between re-sent requests while the host is not reached yet (messages sent before it listens are lost). */
const kRetryMs = 10;

/** Unlinked bytes that make the host collect at once; below that it collects after kCollectDelayMs. */
const kCollectBytes = 64 * 2 ** 20;
const kCollectDelayMs = 200;

/** Reply codes in the reply cell. */
export const Reply = { pending: 0, ok: 1, notFound: 2 } as const;
export type Reply = (typeof Reply)[keyof typeof Reply];

// The host's whole program. "create" and "unlink" are posted without a reply cell (the directory
// already decided them); "hello" and "attach" carry one. A request whose cell is already set is a
// re-sent duplicate of one answered (a requester re-sends until the host is listening): ignored.
//
// Freeing: an unlinked segment's buffer lives on in the host's heap as garbage until the host's
// garbage collector runs, and an idle host never allocates enough to run it. So the host keeps a
// handle on V8's gc() (the flag is on only while it takes that handle: other threads' new contexts
// do not see a global gc) and collects after unlinks; its heap is tiny (~1 ms).
const hostSource = `"use strict";
const { BroadcastChannel, workerData } = require("node:worker_threads");
const v8 = require("node:v8");
let collect = () => {};
try {
  v8.setFlagsFromString("--expose-gc");
  collect = require("node:vm").runInNewContext("gc");
} catch {}
finally { if (typeof globalThis.gc !== "function") v8.setFlagsFromString("--no-expose-gc"); }
// Collect soon after a big unlink, lazily after small ones: a full collection per unlink would
// stall the requests queued behind it.
let freed = 0;
let soon = false;
let later = null;
const run = () => { soon = false; if (later !== null) { clearTimeout(later); later = null; } freed = 0; collect(); };
const segments = new Map();
// One reply channel per requesting thread, kept (opening one costs ~35 µs).
const replies = new Map();
const replyTo = (name, message) => {
  let out = replies.get(name);
  if (out === undefined) { out = new BroadcastChannel(name); out.unref(); replies.set(name, out); }
  out.postMessage(message);
};
const requests = new BroadcastChannel(${JSON.stringify(kRequestChannel)});
requests.onmessage = ({ data: m }) => {
  if (m.op === "create") { segments.set(m.name, m.sab); return; }
  if (m.op === "unlink") {
    const sab = segments.get(m.name);
    if (sab === undefined) return;
    segments.delete(m.name);
    freed += sab.byteLength;
    if (freed >= ${kCollectBytes}) { if (!soon) { soon = true; setImmediate(run); } }
    else if (later === null) later = setTimeout(run, ${kCollectDelayMs});
    return;
  }
  const cell = m.cell;
  if (Atomics.load(cell, 0) !== ${Reply.pending}) return;
  let r = ${Reply.ok};
  if (m.op === "hello") replyTo(m.reply, { id: m.id, value: workerData.directory });
  else if (m.op === "attach") {
    const sab = segments.get(m.name);
    if (sab === undefined) r = ${Reply.notFound};
    else replyTo(m.reply, { id: m.id, value: sab });
  } else if (m.op === "names") replyTo(m.reply, { id: m.id, value: [...segments.keys()] });
  // The reply message (if any) was queued above, before the cell flips: the requester finds it
  // as soon as it wakes.
  Atomics.store(cell, 0, r);
  Atomics.notify(cell, 0);
};
`;

interface ThreadState {
  /** This thread's reply channel (replies to its own requests only). */
  reply: BroadcastChannel | null;
  replyName: string;
  /** True once the host has answered this thread. */
  reached: boolean;
  /** Id of this thread's last request (replies carry it). */
  seq: number;
  /** The shared directory of names (from the host's first answer). */
  directory: Directory | null;
  /** Buffers this thread looked up or created, valid while the unlink counter is unchanged. */
  cache: Map<string, { ref: WeakRef<SharedArrayBuffer>; epoch: number }>;
}

interface MainState {
  host: Worker | null;
  bootListener: BroadcastChannel | null;
}

// On globalThis: the ESM and CommonJS builds loaded into one thread share one reply channel and
// one host.
const kThread = Symbol.for("multiprocessing-ts.shm.thread");
const kMain = Symbol.for("multiprocessing-ts.shm.main");

function threadState(): ThreadState {
  return ((globalThis as any)[kThread] ??= { reply: null, replyName: `${kPrefix}.reply.${threadId}`, reached: false, seq: 0, directory: null, cache: new Map() });
}

function mainState(): MainState {
  return ((globalThis as any)[kMain] ??= { host: null, bootListener: null });
}

/** Starts the registry host if this (main) thread has not yet. */
function ensureHost(): void {
  const s = mainState();
  if (s.host !== null) return;
  // execArgv: [] keeps the parent's loader flags (tsx: ~150 ms) out of a thread that runs only the
  // code above.
  const w = new Worker(hostSource, {
    eval: true,
    execArgv: [],
    stdout: false,
    stderr: false,
    resourceLimits: { maxOldGenerationSizeMb: 16 },
    workerData: { directory: newDirectory() },
  });
  w.unref(); // the host never keeps the program alive; it ends with the OS process
  w.on("error", () => {});
  w.on("exit", () => {
    if (s.host === w) s.host = null;
  });
  s.host = w;
}

/**
 * Main thread only: listens for children's requests to start the host. A BroadcastChannel with a
 * listener, unref'd (~40 µs, no thread): a program that never uses shared_memory pays nothing
 * more. Served by the main thread's event loop.
 */
export function listenForBootRequests(): void {
  if (!isMainThread) return;
  const s = mainState();
  if (s.bootListener !== null) return;
  const bc = new BroadcastChannel(kBootChannel);
  bc.onmessage = () => ensureHost();
  bc.unref();
  s.bootListener = bc;
}

function post(channel: string, message: unknown): void {
  const bc = new BroadcastChannel(channel);
  // A BroadcastChannel delivers to every other instance of its name: a long-lived request
  // channel here would collect every other thread's requests. Open, post, close.
  bc.postMessage(message);
  bc.close();
}

function unreachable(): Error {
  return new RuntimeError(
    "shared_memory: the segment registry could not be reached within " + kReachMs / 1000 + " s. " +
      (isMainThread
        ? "Its thread failed to start."
        : "The main thread starts it, from its event loop, when a child first needs it; here the main " +
          "thread was blocked (join(), get()...) or busy. Create or attach any SharedMemory in the main " +
          "thread before starting children that use shared_memory first."),
  );
}

/** The result of one request: its reply code and the reply message, if one was sent. */
interface Answer {
  code: Reply;
  message: unknown;
}

/**
 * Sends `op` to the registry host and blocks until it answers (the reply cell changes).
 * @throws RuntimeError when the host cannot be reached
 */
function request(op: string, fields: Record<string, unknown>, wantsMessage: boolean): Answer {
  const t = threadState();
  if (wantsMessage && t.reply === null) {
    t.reply = new BroadcastChannel(t.replyName);
    t.reply.unref();
  }
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const id = ++t.seq;
  const message = { ...fields, op, cell, id, reply: t.replyName };
  if (isMainThread) ensureHost();
  else if (!t.reached) post(kBootChannel, null); // harmless when the host already runs
  post(kRequestChannel, message);
  const start = performance.now();
  // Sleeping on the reply cell: the host stores the code and notifies after queuing the reply,
  // so a wake-up with the cell set always finds the message. While the host has never answered
  // this thread, it may not be listening yet (a message sent before it listens is lost): re-send
  // every kRetryMs. Re-sent duplicates carry the same cell and are ignored once it is set.
  while (Atomics.load(cell, 0) === Reply.pending) {
    const waited = performance.now() - start;
    if (t.reached) {
      if (waited > kAnswerMs) throw new RuntimeError(`shared_memory: the segment registry did not answer within ${kAnswerMs / 1000} s`);
      waitWhile(cell, 0, Reply.pending, kAnswerMs - waited);
      continue;
    }
    if (waited > kReachMs) throw unreachable();
    if (waitWhile(cell, 0, Reply.pending, kRetryMs) === "timed-out" && Atomics.load(cell, 0) === Reply.pending) {
      if (!isMainThread) post(kBootChannel, null);
      post(kRequestChannel, message);
    }
  }
  t.reached = true;
  const code = Atomics.load(cell, 0) as Reply;
  let reply: unknown;
  if (wantsMessage && code === Reply.ok) {
    // The host queued the message before setting the cell (see above); the loop is a guard. A
    // reply to an earlier request that gave up waiting (it threw) is skipped by its id.
    const receive = () => {
      for (let got = receiveMessageOnPort(t.reply as any); got !== undefined; got = receiveMessageOnPort(t.reply as any)) {
        if ((got.message as { id: number }).id === id) return got.message as { value: unknown };
      }
      return undefined;
    };
    let got = receive();
    for (let i = 0; got === undefined && i < 1000; i++) {
      waitWhile(cell, 0, code, 1); // the cell stays `code`: a 1 ms sleep
      got = receive();
    }
    if (got === undefined) throw new RuntimeError("shared_memory: the segment registry's reply was lost");
    reply = got.value;
  }
  return { code, message: reply };
}

/** This thread's view of the shared directory (one round trip, the first time). */
function directory(t: ThreadState): Directory {
  return (t.directory ??= new Directory(request("hello", {}, true).message as SharedArrayBuffer));
}

/** Posts a request that needs no answer; the host listens (this thread got its directory from it). */
function tell(op: "create" | "unlink", fields: Record<string, unknown>): void {
  post(kRequestChannel, { ...fields, op });
}

function remember(t: ThreadState, name: string, sab: SharedArrayBuffer, epoch: number): void {
  if (t.cache.size >= 1024) {
    const now = t.directory === null ? -1 : t.directory.epoch();
    for (const [k, v] of t.cache) if (v.epoch !== now || v.ref.deref() === undefined) t.cache.delete(k);
  }
  t.cache.set(name, { ref: new WeakRef(sab), epoch });
}

/** Registers `sab` under `name`: "exists" when the name is taken (EEXIST), "full" when the directory is (ENOSPC). */
export function registerSegment(name: string, sab: SharedArrayBuffer): "ok" | "exists" | "full" {
  const t = threadState();
  const d = directory(t);
  const key = Buffer.from(name, "utf8");
  let epoch = 0;
  const r = d.locked(() => {
    const r = d.insert(key);
    // Posted before the lock is released: whoever finds the name next asks the host after this.
    if (r === "ok") tell("create", { name, sab });
    epoch = d.epoch();
    return r;
  });
  if (r === "ok") remember(t, name, sab, epoch);
  return r;
}

/**
 * The segment named `name`, or null when there is none (ENOENT). Without a round trip when this
 * thread looked it up (or made it) before and no segment was unlinked since, anywhere: a name
 * maps to a new buffer only after an unlink.
 */
export function lookupSegment(name: string): SharedArrayBuffer | null {
  const t = threadState();
  const d = directory(t);
  const known = t.cache.get(name);
  if (known !== undefined && known.epoch === d.epoch()) {
    const sab = known.ref.deref();
    if (sab !== undefined) return sab;
  }
  const key = Buffer.from(name, "utf8");
  let epoch = 0;
  // The epoch read with the lookup stamps the cached buffer: an unlink after this point makes
  // it stale even if the host answers before it sees that unlink.
  const exists = d.locked(() => ((epoch = d.epoch()), d.has(key)));
  if (!exists) return null;
  const a = request("attach", { name }, true);
  if (a.code !== Reply.ok) return null; // unlinked since the lookup
  const sab = a.message as SharedArrayBuffer;
  remember(t, name, sab, epoch);
  return sab;
}

/** Removes `name`; returns false when it was not there (ENOENT). */
export function unlinkSegment(name: string): boolean {
  const t = threadState();
  const d = directory(t);
  t.cache.delete(name);
  const key = Buffer.from(name, "utf8");
  return d.locked(() => {
    if (!d.remove(key)) return false;
    tell("unlink", { name });
    return true;
  });
}

/** The names the host holds (for tests and leak reports). */
export function segmentNames(): string[] {
  return request("names", {}, true).message as string[];
}
