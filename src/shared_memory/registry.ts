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
// Transport: a thread says hello to the host once, through a BroadcastChannel with a well-known
// name; from then on it talks to the host on a BroadcastChannel of its own (both ways), and reads
// replies synchronously with receiveMessageOnPort after sleeping on a one-cell reply word
// (semlock.waitWhile). A thread that cannot reach the host within kReachMs gets a clear error,
// never an endless wait.
//
// Lifetime: the host holds a segment's buffer from creation to unlink; each SharedMemory holds it
// from attach to close(). Once unlinked and closed everywhere, nothing references the buffer and the
// garbage collector frees it. Whatever is still linked when the OS process ends goes with it.

import { BroadcastChannel, isMainThread, receiveMessageOnPort, threadId, Worker } from "node:worker_threads";
import { waitWhile } from "../shared/semlock.js";
import { atExit } from "../shared/current.js";
import { RuntimeError } from "../shared/pyerrors.js";
import { Directory, newDirectory } from "./directory.js";

const kPrefix = "multiprocessing-ts.shm.v1";
/** Hellos to the host (each thread's first message). */
const kRequestChannel = `${kPrefix}.request`;
/** Requests to the main thread to start the host (sent by children). */
const kBootChannel = `${kPrefix}.boot`;

/** How long a thread tries to reach a host it has never reached (it may be booting), in ms. */
const kReachMs = 5000;
/** How long a reached host may take to answer one request, in ms (it only touches Maps). */
const kAnswerMs = 30000;
/** Interval between re-sent hellos while the host is not reached yet (messages sent before it listens are lost). */
const kRetryMs = 10;

/** Unlinked bytes that make the host collect at once; below that it collects after kCollectDelayMs. */
const kCollectBytes = 64 * 2 ** 20;
const kCollectDelayMs = 200;

/** Reply codes in the reply cell. */
export const Reply = { pending: 0, ok: 1, notFound: 2 } as const;
export type Reply = (typeof Reply)[keyof typeof Reply];

// The host's whole program. A thread says "hello" on the well-known request channel (re-sent
// until the host listens; a duplicate, whose reply cell is already set, is ignored); the host
// answers on that thread's own channel, which from then on carries the thread's requests both
// ways. Messages on different channels may be handled in any order, so every segment has a
// generation (from the directory): a "create" that arrives after the "unlink" of its generation
// is dropped, an "unlink" of an older generation leaves a newer segment alone, and an "attach"
// whose "create" has not arrived yet waits for it (it was posted before the name became visible).
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
let freed = 0, soon = false, later = null;
const run = () => { soon = false; if (later !== null) { clearTimeout(later); later = null; } freed = 0; collect(); };
const account = (bytes) => {
  freed += bytes;
  if (freed >= ${kCollectBytes}) { if (!soon) { soon = true; setImmediate(run); } }
  else if (later === null) later = setTimeout(run, ${kCollectDelayMs});
};
const segments = new Map(); // name -> { generation, sab }
const killed = new Map();   // name -> { generation, at }: the last unlinked generation, for late creates
const pending = new Map();  // name -> [[channel, request]]: attaches waiting for their create
const channels = new Map(); // thread channel name -> BroadcastChannel
const answer = (ch, m, code, value) => {
  if (value !== undefined) ch.postMessage({ id: m.id, value });
  // The reply message was queued above, before the cell flips: the requester finds it as soon
  // as it wakes.
  Atomics.store(m.cell, 0, code);
  Atomics.notify(m.cell, 0);
};
const tryAttach = (ch, m) => {
  const cur = segments.get(m.name);
  if (cur !== undefined && cur.generation === m.generation) { answer(ch, m, ${Reply.ok}, cur.sab); return true; }
  const k = killed.get(m.name);
  if ((cur !== undefined && cur.generation > m.generation) || (k !== undefined && k.generation >= m.generation)) {
    answer(ch, m, ${Reply.notFound}); // unlinked since the requester's lookup
    return true;
  }
  return false;
};
const settle = (name) => {
  const waiting = pending.get(name);
  if (waiting === undefined) return;
  const rest = waiting.filter(([ch, m]) => !tryAttach(ch, m));
  if (rest.length) pending.set(name, rest); else pending.delete(name);
};
const onRequest = (ch, m) => {
  if (m.op === "create") {
    const k = killed.get(m.name);
    if (k !== undefined && k.generation >= m.generation) return;
    const cur = segments.get(m.name);
    if (cur === undefined || cur.generation < m.generation) segments.set(m.name, { generation: m.generation, sab: m.sab });
    settle(m.name);
  } else if (m.op === "unlink") {
    const cur = segments.get(m.name);
    if (cur !== undefined && cur.generation === m.generation) { segments.delete(m.name); account(cur.sab.byteLength); }
    const k = killed.get(m.name);
    if (k === undefined || k.generation < m.generation) killed.set(m.name, { generation: m.generation, at: Date.now() });
    if (killed.size > 4096) { const old = Date.now() - 10000; for (const [n, v] of killed) if (v.at < old) killed.delete(n); }
    settle(m.name);
  } else if (m.op === "attach") {
    if (!tryAttach(ch, m)) { const w = pending.get(m.name); if (w) w.push([ch, m]); else pending.set(m.name, [[ch, m]]); }
  } else if (m.op === "names") {
    answer(ch, m, ${Reply.ok}, [...segments.keys()]);
  } else if (m.op === "bye") {
    ch.close();
    channels.delete(m.channel);
  }
};
const hello = new BroadcastChannel(${JSON.stringify(kRequestChannel)});
hello.onmessage = ({ data: m }) => {
  if (Atomics.load(m.cell, 0) !== ${Reply.pending}) return;
  let ch = channels.get(m.channel);
  if (ch === undefined) {
    ch = new BroadcastChannel(m.channel);
    const own = ch;
    own.onmessage = ({ data }) => onRequest(own, data);
    channels.set(m.channel, ch);
  }
  answer(ch, m, ${Reply.ok}, workerData.directory);
};
`;

interface ThreadState {
  /** This thread's own channel to the host (both ways), once the host has answered its hello. */
  channel: BroadcastChannel | null;
  /** Its name: new at each hello, so that a late "bye" never closes the host's end of a newer one. */
  channelName: string;
  /** Hellos said so far. */
  hellos: number;
  /** True once the exit hook that says goodbye to the host is registered. */
  hooked: boolean;
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
  return ((globalThis as any)[kThread] ??= { channel: null, channelName: "", hellos: 0, hooked: false, seq: 0, directory: null, cache: new Map() });
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

/** Reads the reply to request `id` from this thread's channel (skipping late replies to requests that gave up). */
function receive(t: ThreadState, cell: Int32Array, id: number): unknown {
  const next = () => {
    for (let got = receiveMessageOnPort(t.channel as any); got !== undefined; got = receiveMessageOnPort(t.channel as any)) {
      if ((got.message as { id: number }).id === id) return got.message as { value: unknown };
    }
    return undefined;
  };
  // The host queued the message before setting the cell; the loop is a guard.
  let got = next();
  for (let i = 0; got === undefined && i < 1000; i++) {
    waitWhile(cell, 0, Atomics.load(cell, 0), 1); // the cell keeps its value: a 1 ms sleep
    got = next();
  }
  if (got === undefined) throw new RuntimeError("shared_memory: the segment registry's reply was lost");
  return got.value;
}

/**
 * Opens this thread's channel to the host: "hello" on the well-known channel, re-sent until the
 * host (which may be booting, or not started yet) answers. Returns the shared directory.
 * @throws RuntimeError when the host cannot be reached within kReachMs
 */
function hello(t: ThreadState): SharedArrayBuffer {
  t.channelName = `${kPrefix}.thread.${threadId}.${++t.hellos}`;
  const channel = new BroadcastChannel(t.channelName);
  channel.unref();
  t.channel = channel;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const id = ++t.seq;
  const message = { op: "hello", cell, id, channel: t.channelName };
  if (isMainThread) ensureHost();
  else post(kBootChannel, null); // harmless when the host already runs
  post(kRequestChannel, message);
  const start = performance.now();
  // A message sent before the host listens is lost: re-send every kRetryMs. Re-sent duplicates
  // carry the same cell and are ignored once it is set.
  while (Atomics.load(cell, 0) === Reply.pending) {
    if (performance.now() - start > kReachMs) {
      t.channel = null;
      channel.close();
      throw unreachable();
    }
    if (waitWhile(cell, 0, Reply.pending, kRetryMs) === "timed-out" && Atomics.load(cell, 0) === Reply.pending) {
      if (!isMainThread) post(kBootChannel, null);
      post(kRequestChannel, message);
    }
  }
  if (!t.hooked) {
    t.hooked = true;
    // The host keeps one channel per thread: say goodbye when this process ends (a reused
    // forkserver worker says hello again in its next process).
    atExit(() => {
      if (t.channel === null) return;
      t.channel.postMessage({ op: "bye", channel: t.channelName });
      t.channel.close();
      t.channel = null;
    });
  }
  return receive(t, cell, id) as SharedArrayBuffer;
}

/**
 * Sends `op` to the registry host on this thread's channel and blocks until it answers (the
 * reply cell changes); returns the reply code and value.
 * @throws RuntimeError when the host does not answer within kAnswerMs
 */
function request(op: "attach" | "names", fields: Record<string, unknown>): Answer {
  const t = threadState();
  if (t.channel === null) t.directory = new Directory(hello(t));
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const id = ++t.seq;
  t.channel!.postMessage({ ...fields, op, cell, id });
  const start = performance.now();
  // Sleeping on the reply cell: the host stores the code and notifies after queuing the reply.
  while (Atomics.load(cell, 0) === Reply.pending) {
    const waited = performance.now() - start;
    if (waited > kAnswerMs) throw new RuntimeError(`shared_memory: the segment registry did not answer within ${kAnswerMs / 1000} s`);
    waitWhile(cell, 0, Reply.pending, kAnswerMs - waited);
  }
  const code = Atomics.load(cell, 0) as Reply;
  return { code, message: code === Reply.ok ? receive(t, cell, id) : undefined };
}

/** This thread's view of the shared directory (one round trip, the first time). */
function directory(t: ThreadState): Directory {
  if (t.channel === null) t.directory = new Directory(hello(t));
  return t.directory!;
}

/** Posts a request that needs no answer on this thread's channel (open: the caller has the directory). */
function tell(t: ThreadState, op: "create" | "unlink", fields: Record<string, unknown>): void {
  t.channel!.postMessage({ ...fields, op });
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
    const generation = d.insert(key);
    if (typeof generation !== "number") return generation;
    // Posted before the lock is released: whoever finds the name next asks the host after this.
    tell(t, "create", { name, generation, sab });
    epoch = d.epoch();
    return "ok" as const;
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
  const generation = d.locked(() => ((epoch = d.epoch()), d.lookup(key)));
  if (generation < 0) return null;
  const a = request("attach", { name, generation });
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
    const generation = d.remove(key);
    if (generation < 0) return false;
    tell(t, "unlink", { name, generation });
    return true;
  });
}

/** The names the host holds (for tests and leak reports). */
export function segmentNames(): string[] {
  return request("names", {}).message as string[];
}
