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
// buffer (once per thread, while nothing is unlinked). The main thread makes the directory at
// import and every worker inherits it at boot (environment data), so no thread needs a round trip
// to find it.
//
// Transport, with no event loop on either side: the host sleeps on the directory's doorbell cell
// and, woken, drains every thread's channel with receiveMessageOnPort; a requester posts, rings,
// and sleeps on its own reply cell, then reads the reply the same way. A thread's first request
// travels on a well-known BroadcastChannel as a "hello" that also opens the thread's own channel
// (both ways) for the next ones. An attach's answer also carries the other live segments this
// thread has not been sent yet (held weakly), so a child attaching several blocks pays one round
// trip. A thread that has attached once is then forwarded each new segment as the host drains its
// create (a create rings the host while such threads exist; host.ts bounds what a thread may leave
// unread), so its attach of a block made later usually finds the buffer in its own queue. A
// thread that cannot reach the host within kReachMs gets a clear error, never an endless wait.
// The program of the host is in host.ts.
//
// Lifetime: the host holds a segment's buffer from creation to unlink; each SharedMemory holds it
// from attach to close(). Once unlinked and closed everywhere, nothing references the buffer and the
// garbage collector frees it. Whatever is still linked when the OS process ends goes with it.

import { BroadcastChannel, getEnvironmentData, isMainThread, receiveMessageOnPort, setEnvironmentData, threadId, Worker } from "node:worker_threads";
import { waitUntilChanged } from "../shared/semlock.js";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { atExit } from "../shared/current.js";
import { RuntimeError } from "../shared/pyerrors.js";
import { Directory, kDoorbell, kForwarding, kHeaderCells, kHostAsleep, kHostUp, newDirectory } from "./directory.js";
import { hostSource, kBootChannel, kEnvKey, kRequestChannel, kThreadChannelPrefix, Reply } from "./host.js";

/** How long a thread tries to reach a host it has never reached (it may be booting), in ms. */
const kReachMs = 5000;
/** How long a reached host may take to answer one request, in ms (it only touches Maps). */
const kAnswerMs = 30000;
/** Interval between re-sent hellos while the host is not reached yet (messages sent before it listens are lost). */
const kRetryMs = 10;
/** Loads of the reply cell before sleeping on it: the host usually answers within a few µs. */
const kReplySpins = 4000;

/**
 * A segment this thread knows. Held strongly while instances of this thread have it open (a
 * WeakRef would keep it alive anyway until the end of the current job, so a synchronous loop of
 * create/close/unlink would pile up every segment it made); held weakly once sent unasked.
 */
interface CacheEntry {
  generation: number;
  /** The buffer while `opens` > 0. */
  sab: SharedArrayBuffer | null;
  /** The buffer when sent with another answer and not opened here. */
  ref: WeakRef<SharedArrayBuffer> | null;
  /** Instances of this thread that have it open (create or attach, not yet closed). */
  opens: number;
  /** Unlink count when the generation was last checked against the directory; -1 = never. */
  epoch: number;
}

interface ThreadState {
  /** This thread's own channel to the host (both ways), once the host has answered its hello. */
  channel: BroadcastChannel | null;
  /** Its name: new at each hello, so that a late "bye" never closes the host's end of a newer one. */
  channelName: string;
  /** Hellos said so far. */
  hellos: number;
  /** True once the exit hook that says goodbye to the host is registered. */
  hooked: boolean;
  /** Id of this thread's last request (replies carry it; the reply cell takes it when answered). */
  seq: number;
  /** The reply cell of the current channel. */
  cell: Int32Array | null;
  /** The shared directory of names (from environment data, or from the host's first answer). */
  directory: Directory | null;
  /** Buffers this thread looked up, created or was sent, by name. */
  cache: Map<string, CacheEntry>;
  /** True once this process opened a segment (its exit then collects). */
  opened: boolean;
}

interface MainState {
  host: Worker | null;
  bootListener: BroadcastChannel | null;
  directory: SharedArrayBuffer | null;
}

// On globalThis: the ESM and CommonJS builds loaded into one thread share one channel and one host.
const kThread = Symbol.for("multiprocessing-ts.shm.v3.thread");
const kMain = Symbol.for("multiprocessing-ts.shm.v3.main");

function threadState(): ThreadState {
  return ((globalThis as any)[kThread] ??= { channel: null, channelName: "", hellos: 0, hooked: false, seq: 0, cell: null, directory: null, cache: new Map(), opened: false });
}

function mainState(): MainState {
  return ((globalThis as any)[kMain] ??= { host: null, bootListener: null, directory: null });
}

/**
 * Main thread only: makes the directory of names and hands it to every worker started from now
 * on (environment data, inherited by nested workers too). Synchronous, at import (~10 µs): a
 * worker started in the same tick must inherit it.
 */
export function shareDirectory(): void {
  if (!isMainThread) return;
  const s = mainState();
  if (s.directory !== null) return;
  const inherited = getEnvironmentData(kEnvKey);
  s.directory = inherited instanceof SharedArrayBuffer ? inherited : newDirectory();
  if (inherited === undefined) setEnvironmentData(kEnvKey, s.directory);
}

/** Starts the registry host if this (main) thread has not yet. */
function ensureHost(): void {
  const s = mainState();
  if (s.host !== null) return;
  shareDirectory();
  const cells = new Int32Array(s.directory!, 0, kHeaderCells);
  // execArgv: [] keeps the parent's loader flags (tsx: ~150 ms) out of a thread that runs only the
  // code above.
  const w = new Worker(hostSource, {
    eval: true,
    execArgv: [],
    stdout: false,
    stderr: false,
    resourceLimits: { maxOldGenerationSizeMb: 16 },
    workerData: { directory: s.directory },
  });
  w.unref(); // the host never keeps the program alive; it ends with the OS process
  w.on("error", () => {});
  w.on("exit", () => {
    if (s.host === w) {
      s.host = null;
      Atomics.store(cells, kHostUp, 0);
    }
  });
  s.host = w;
  Atomics.store(cells, kHostUp, 1);
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
  bc.onmessage = () => {
    ensureHost();
    // The asker may have no directory (a worker started before this thread loaded shared_memory)
    // and so no doorbell: ring for it, or a sleeping host would never read its hello.
    const cells = new Int32Array(s.directory!, 0, kHeaderCells);
    Atomics.add(cells, kDoorbell, 1);
    Atomics.notify(cells, kDoorbell, 1);
  };
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

let gcHandle: (() => void) | null | undefined;

/**
 * A full garbage collection of this thread, now. V8's gc() is taken once, as the host takes it:
 * the flag is on only while a new context fetches it, so other threads' contexts do not see it.
 */
function collectNow(): void {
  if (gcHandle === undefined) {
    gcHandle = null;
    try {
      v8.setFlagsFromString("--expose-gc");
      gcHandle = runInNewContext("gc") as () => void;
    } catch {
      // no collection then: the segments go at this thread's next collection
    } finally {
      if (typeof (globalThis as any).gc !== "function") v8.setFlagsFromString("--no-expose-gc");
    }
  }
  gcHandle?.();
}

/** Wakes the host (it sleeps on the doorbell). */
function ring(d: Directory): void {
  Atomics.add(d.cells, kDoorbell, 1);
  Atomics.notify(d.cells, kDoorbell, 1);
}

/** Wakes the host only if it sleeps with nothing owed (for messages that need no answer). */
function ringIfAsleep(d: Directory): void {
  // The message was queued before this exchange: a host that set the flag after it drains once
  // more before sleeping, one that set it before is woken here.
  if (Atomics.compareExchange(d.cells, kHostAsleep, 1, 0) === 1) ring(d);
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

/** A reply of the host. */
interface Answer {
  id: number;
  code: Reply;
  value: unknown;
  extra?: [string, number, SharedArrayBuffer][];
  /** A buffer forwarded unasked (id 0), and its sequence number. */
  fwd?: [string, number, SharedArrayBuffer];
  seq?: number;
}

/**
 * The reply to request `id` if it has arrived (skipping late replies to requests that gave up);
 * records the buffers forwarded meanwhile. take(t, 0) only reads what was forwarded.
 */
function take(t: ThreadState, id: number): Answer | undefined {
  for (let got = receiveMessageOnPort(t.channel as any); got !== undefined; got = receiveMessageOnPort(t.channel as any)) {
    const m = got.message as Answer;
    if (m.fwd !== undefined) forwarded(t, m);
    else if (m.id === id) return m;
  }
  return undefined;
}

/** Records a buffer the host forwarded, and tells it how far this thread has read. */
function forwarded(t: ThreadState, m: Answer): void {
  const [name, generation, sab] = m.fwd!;
  sentUnasked(t, name, generation, sab);
  // The host counts what this thread left unread (it holds those buffers alive) by this cell.
  Atomics.store(t.cell!, 1, m.seq!);
}

/**
 * Waits up to `ms` for the reply to request `id`. `resend` (for hellos) runs every kRetryMs while
 * unanswered. Returns undefined on timeout.
 */
function awaitReply(t: ThreadState, id: number, ms: number, resend?: () => void): Answer | undefined {
  const cell = t.cell!;
  const start = performance.now();
  for (;;) {
    // Read the cell before looking for the reply: a reply queued after the look flips the cell
    // after this read, so the wait below cannot sleep through it.
    const seen = Atomics.load(cell, 0);
    const got = take(t, id);
    if (got !== undefined) return got;
    const left = ms - (performance.now() - start);
    if (left <= 0) return undefined;
    const changed = waitUntilChanged(cell, 0, seen, resend ? Math.min(left, kRetryMs) : left, kReplySpins);
    if (!changed && resend && Atomics.load(cell, 0) < id) resend();
  }
}

/**
 * Opens this thread's channel to the host with a "hello" on the well-known channel, re-sent until
 * the host (which may be booting, or not started yet) answers; `then` is the request the hello
 * carries (answered as if sent on the new channel), else the answer is the directory.
 * @throws RuntimeError when the host cannot be reached within kReachMs
 */
function hello(t: ThreadState, then: Record<string, unknown> | null): Answer {
  t.channelName = `${kThreadChannelPrefix}.${threadId}.${++t.hellos}`;
  const channel = new BroadcastChannel(t.channelName);
  const cell = new Int32Array(new SharedArrayBuffer(8)); // [last reply id, last forward read]
  // Forwards read by the event loop (when it runs) do not wait for this thread's next attach.
  channel.onmessage = (e: MessageEvent) => {
    if (t.channel === channel && (e.data as Answer)?.fwd !== undefined) forwarded(t, e.data as Answer);
  };
  channel.unref();
  t.channel = channel;
  t.cell = cell;
  const id = ++t.seq;
  const message = { op: "hello", cell: t.cell, id, channel: t.channelName, then };
  const d = t.directory;
  const knock = () => {
    // Without a directory there is no doorbell: the main thread rings for this thread.
    if (d === null || Atomics.load(d.cells, kHostUp) !== 1) {
      if (isMainThread) ensureHost();
      else post(kBootChannel, null); // heard by the main thread's event loop
    }
    post(kRequestChannel, message);
    if (d !== null) ring(d);
  };
  knock();
  // A message sent before the host listens is lost: re-sent every kRetryMs. Re-sent duplicates
  // carry the same cell and id and are ignored once it is answered.
  const got = awaitReply(t, id, kReachMs, knock);
  if (got === undefined) {
    t.channel = null;
    channel.close();
    throw unreachable();
  }
  if (!t.hooked) {
    t.hooked = true;
    // The host keeps one channel per thread: say goodbye when this process ends (a reused
    // forkserver worker says hello again in its next process).
    atExit(() => {
      if (t.channel === null) return;
      t.channel.postMessage({ op: "bye", channel: t.channelName });
      // Unread forwards would stay queued on the closed channel until the event loop turns
      // (a warm worker's never does between processes): drop them now.
      while (receiveMessageOnPort(t.channel as any) !== undefined);
      t.channel.close();
      t.channel = null;
      // A process that ends unmaps everything it had (a reused worker's next process starts bare).
      const used = t.cache.size > 0 || t.opened;
      t.cache.clear();
      t.opened = false;
      // Its instances (closed or not) are garbage now, but a warm worker waiting for its next
      // task (in Atomics.wait) runs no garbage collection to free their segments: collect now.
      if (used && !isMainThread) collectNow();
      if (t.directory !== null) ringIfAsleep(t.directory);
    });
  }
  if (then === null) t.directory ??= new Directory(got.value as SharedArrayBuffer);
  return got;
}

/** This thread's view of the shared directory (inherited at boot; else one round trip, the first time). */
function directory(t: ThreadState): Directory {
  if (t.directory !== null) return t.directory;
  if (isMainThread) shareDirectory();
  const inherited = getEnvironmentData(kEnvKey);
  if (inherited instanceof SharedArrayBuffer) t.directory = new Directory(inherited);
  else hello(t, null); // a worker started before the main thread loaded shared_memory
  return t.directory!;
}

/**
 * Sends `op` to the registry host and blocks until it answers (the thread's first request is its
 * hello); returns the answer.
 * @throws RuntimeError when the host does not answer within kAnswerMs
 */
function request(t: ThreadState, op: "attach" | "names", fields: Record<string, unknown>): Answer {
  const d = directory(t);
  if (t.channel === null) return hello(t, { ...fields, op });
  const id = ++t.seq;
  t.channel.postMessage({ ...fields, op, id });
  ring(d);
  const got = awaitReply(t, id, kAnswerMs);
  if (got === undefined) throw new RuntimeError(`shared_memory: the segment registry did not answer within ${kAnswerMs / 1000} s`);
  return got;
}

/** The buffer of `entry`, if this thread still has it. */
function bufferOf(entry: CacheEntry): SharedArrayBuffer | undefined {
  return entry.sab ?? entry.ref?.deref();
}

/** Records that an instance of this thread opened `sab` (the segment `generation` of `name`). */
function opened(t: ThreadState, name: string, generation: number, sab: SharedArrayBuffer, epoch: number): void {
  const e = t.cache.get(name);
  if (e !== undefined && e.generation === generation && bufferOf(e) === sab) {
    e.sab = sab;
    e.ref = null;
    e.opens++;
    e.epoch = Math.max(e.epoch, epoch);
    return;
  }
  t.cache.set(name, { generation, sab, ref: null, opens: 1, epoch });
  t.opened = true;
}

/** Records a segment sent unasked (held weakly, unless this thread has it open). */
function sentUnasked(t: ThreadState, name: string, generation: number, sab: SharedArrayBuffer): void {
  const e = t.cache.get(name);
  if (e !== undefined && e.opens > 0 && e.generation >= generation) return;
  if (t.cache.size >= 4096) for (const [k, v] of t.cache) if (bufferOf(v) === undefined) t.cache.delete(k);
  t.cache.set(name, { generation, sab: null, ref: new WeakRef(sab), opens: 0, epoch: -1 });
}

/**
 * Registers `sab` under `name` and opens it for the caller (closeSegment() when done): "exists"
 * when the name is taken (EEXIST), "full" when the directory is (ENOSPC).
 */
export function registerSegment(name: string, sab: SharedArrayBuffer): "ok" | "exists" | "full" {
  const t = threadState();
  const d = directory(t);
  if (t.channel === null) hello(t, null); // once per thread: opens the channel creates travel on
  let epoch = 0;
  let generation: number | "exists" | "full";
  d.lock();
  try {
    generation = d.insert(name);
    if (typeof generation !== "number") return generation;
    // Posted before the lock is released: whoever finds the name next asks the host after this
    // create is queued, so the host's drain finds it.
    t.channel!.postMessage({ op: "create", name, generation, sab });
    epoch = d.epoch();
  } finally {
    d.unlock();
  }
  opened(t, name, generation, sab, epoch);
  // Threads that attach get new buffers forwarded: wake the host to do it now, before the name
  // can reach them.
  if (Atomics.load(d.cells, kForwarding) > 0) ring(d);
  return "ok";
}

/**
 * Opens the segment named `name` for the caller (closeSegment() when done), or returns null when
 * there is none (ENOENT). Without a round trip when this thread has the segment of the name's
 * current generation (it has it open, or was sent it with an earlier answer); without even the
 * directory lock when no segment was unlinked anywhere since it last checked: a name maps to a new
 * segment only after an unlink.
 */
export function lookupSegment(name: string): SharedArrayBuffer | null {
  const t = threadState();
  const d = directory(t);
  const known = t.cache.get(name);
  if (known !== undefined && known.epoch === d.epoch()) {
    const sab = bufferOf(known);
    if (sab !== undefined) {
      opened(t, name, known.generation, sab, known.epoch);
      return sab;
    }
  }
  let epoch = 0;
  let generation = -1;
  d.lock();
  try {
    // The epoch read with the lookup stamps the cached buffer: an unlink after this point makes
    // it stale even if the host answers before it sees that unlink.
    epoch = d.epoch();
    generation = d.lookup(name);
  } finally {
    d.unlock();
  }
  if (generation < 0) return null;
  // Forwarded buffers first: the host usually forwarded a new segment before its name got here.
  if ((known === undefined || known.generation !== generation) && t.channel !== null) take(t, 0);
  const now = t.cache.get(name);
  if (now !== undefined && now.generation === generation) {
    const sab = bufferOf(now);
    if (sab !== undefined) {
      opened(t, name, generation, sab, epoch);
      return sab;
    }
  }
  const a = request(t, "attach", { name, generation });
  if (a.extra !== undefined) for (const [n, g, s] of a.extra) sentUnasked(t, n, g, s);
  if (a.code !== Reply.ok) return null; // unlinked since the lookup
  const sab = a.value as SharedArrayBuffer;
  opened(t, name, generation, sab, epoch);
  return sab;
}

/** The generation of the segment this thread has open under `name` (after registerSegment or lookupSegment). */
export function openGeneration(name: string): number {
  return threadState().cache.get(name)?.generation ?? -1;
}

/** An instance of this thread closed the segment `generation` of `name` (from registerSegment or lookupSegment). */
export function closeSegment(name: string, generation: number): void {
  const e = threadState().cache.get(name);
  if (e === undefined || e.sab === null || e.generation !== generation) return;
  // The last one here: forget it (a later attach asks again), so that nothing of this thread
  // keeps an unlinked segment alive.
  if (--e.opens <= 0) threadState().cache.delete(name);
}

/** Removes `name`; returns false when it was not there (ENOENT). */
export function unlinkSegment(name: string): boolean {
  const t = threadState();
  const d = directory(t);
  if (t.channel === null) hello(t, null);
  t.cache.delete(name);
  d.lock();
  try {
    const generation = d.remove(name);
    if (generation < 0) return false;
    t.channel!.postMessage({ op: "unlink", name, generation });
  } finally {
    d.unlock();
  }
  // The host frees the buffer when it drains the unlink: wake it if it sleeps with nothing owed.
  ringIfAsleep(d);
  return true;
}

/** The names the host holds (for tests and leak reports). */
export function segmentNames(): string[] {
  return request(threadState(), "names", {}).value as string[];
}
