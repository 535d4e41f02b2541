// The host of a Pool: a worker thread that owns the piscina instance. piscina dispatches on its
// thread's event loop; the Pool's caller may block its own thread (main included) in map() or
// get(), so piscina cannot live there. Requests arrive on a MessagePort (this thread's event loop
// is always free); results are posted back on the port and announced through a shared counter,
// which the blocked caller waits on with Atomics.wait and then drains with receiveMessageOnPort —
// no event loop needed on the caller's side (piscina-host.md). A caller blocked on one job's
// completion says so in the control array, and is woken once, when that job is complete, not
// for each of its results: on two cores, every wake-up of a thread takes CPU from a worker.
// Short chunks wait in a queue here and go to piscina in batches: piscina's per-task cost (a message
// and a worker wake-up, ~50 µs) is paid per batch, while each chunk keeps its own result. A job
// whose items are primitives arrives as one list (numbers as one typed array): consecutive chunks
// of it travel as one slice of that list (a "run"), and their results come back as one list, so
// that a thousand one-item chunks cost a few messages, not thousands of small objects to copy. How
// many chunks make a batch follows how long chunks take: short ones are grouped up to ~2 ms of
// work. Long chunks of such a job are claimed by the workers themselves: each worker holds two
// tasks that name no chunk, and takes the job's next chunk from a shared cursor when a task
// starts. A worker goes from one chunk to the next without waiting for this thread, and the last
// chunks go to whichever worker is free first (Python's load balancing for CPU-bound work).

import { setMaxListeners } from "node:events";
import { workerData, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import type { ResourceLimits } from "../shared/convert.js";
import { patchStdioSync } from "../shared/stdio.js";
import { kAnyMessage, kHostGone, kPosted, kRetireExitCode, kWaitFor, type BatchTask, type ChunkRun, type ClaimResult, type ClaimTask, type FlatError, type HostToMainMessage, type JobSpec, type MainToHostMessage, type PoolWorkerData, type RunResult } from "../shared/pool_protocol.js";
import { sliceItems } from "../shared/codec.js";

patchStdioSync();

/** Batches in flight per worker: the next one is already there when a worker finishes one. */
const kBatchesInFlight = 2;
/** Most chunks in one batch. */
const kMaxBatch = 256;
/** The work a batch of short chunks is sized to, in ms. */
const kBatchMs = 2;
/** Chunks that take longer than this (ms) go one per worker at a time. */
const kLongChunkMs = 5;

const { port, control, processes, poolWorkerData, resourceLimits } = workerData as {
  port: MessagePort;
  control: Int32Array;
  processes: number;
  poolWorkerData: PoolWorkerData;
  resourceLimits: ResourceLimits | null;
};

// However this thread ends (a bug of ours throwing included), the caller is told and woken,
// and the error is printed (the Pool ignores the thread's 'error' event: its caller may be blocked).
process.on("uncaughtException", (err) => {
  process.stderr.write(`multiprocessing-ts: the Pool's host thread failed:\n${err?.stack ?? err}\n`);
  process.exit(1);
});
process.on("exit", (code) => {
  Atomics.store(control, kHostGone, 1 + (code | 0));
  Atomics.add(control, kPosted, 1);
  Atomics.notify(control, kPosted);
});

// A worker that retires (maxtasksperchild) exits as its next batch arrives: it must hold one
// batch at a time, or the batch it finished could be lost with it.
const batchesPerWorker = poolWorkerData.maxtasksperchild !== null ? 1 : kBatchesInFlight;

// Workers boot as work needs them. The first task boots one worker; the others boot (all at
// once) when work is still waiting kGrowAfterMs after a worker became ready: a Pool(5) that maps
// three quick items runs them on one worker, and a Pool that is never used runs none (each
// worker is a V8 isolate: ~10 MB and tens of ms of CPU to boot). piscina starts a worker for each
// task it cannot place, so the tasks sent while workers boot are capped (see taskCap()). With an
// initializer every worker boots at once, as CPython's: each runs the initializer whether or not
// a task comes its way, and a program may count on that.
const eager = poolWorkerData.initializer !== null;
/** How long work may wait on the booted workers before the rest of the pool boots, in ms. */
const kGrowAfterMs = 10;
/** Workers the pool may run now. */
let allowed = eager ? processes : 1;
/** Workers booted and not yet gone. */
let ready = 0;
let growTimer: NodeJS.Timeout | null = null;

const pool = new Piscina({
  filename: new URL("./pool_worker.js", import.meta.url).href,
  minThreads: eager ? processes : 0,
  maxThreads: processes,
  idleTimeout: Infinity,
  workerData: poolWorkerData,
  recordTiming: true,
  concurrentTasksPerWorker: batchesPerWorker,
  ...(resourceLimits ? { resourceLimits } : {}),
});

// A worker that fails outside any task (a timer its task left behind throws while it is idle) is
// replaced by piscina, which reports it as an 'error' event: printed, as Node prints a thread's
// uncaught error, instead of ending this thread and with it the pool.
pool.on("error", (err: any) => {
  workerFailures++;
  process.stderr.write(`multiprocessing-ts: a Pool worker failed outside any task:\n${err?.stack ?? err}\n`);
});

// Workers whose initializer has run (pool_worker posts its threadId once it has): close()
// lets every worker finish its initializer before ending them, as CPython's workers each run
// the initializer before they read the sentinel that close() sends.
const initialized = new Set<number>();
let workerFailures = 0;
let terminateAsked = false;
pool.on("message", (m: any) => {
  if (m?.op === "initialized") initialized.add(m.threadId);
});
// piscina reports a worker (other than those it boots at construction) once it is ready.
pool.on("workerCreate", () => {
  ready++;
  scheduleGrow();
});
pool.on("workerDestroy", () => {
  ready = Math.max(0, ready - 1);
});

/** True when some work is not running: chunks not handed out, or tasks piscina holds in its queue. */
function workWaiting(): boolean {
  if (pool.queueSize > 0) return true;
  for (let i = orderHead; i < order.length; i++) if (remaining(order[i]!) > 0) return true;
  return false;
}

/** Lets the whole pool boot if work is still waiting on the booted workers a little later. */
function scheduleGrow(): void {
  if (allowed >= processes || growTimer !== null || ready === 0) return;
  growTimer = setTimeout(() => {
    growTimer = null;
    if (finished || !workWaiting()) return;
    allowed = processes;
    dispatch();
  }, kGrowAfterMs);
  growTimer.unref();
}

/**
 * Most tasks in flight: batchesPerWorker per booted worker, and one for each worker that may
 * still boot (a task piscina cannot place makes it boot a worker).
 */
function taskCap(): number {
  if (eager || allowed >= processes) return processes * batchesPerWorker;
  const booted = Math.min(ready, allowed);
  return booted * batchesPerWorker + Math.max(0, allowed - booted);
}

/** Resolves once every live worker has run its initializer (or one failed, or terminate() came). */
async function initializersRan(): Promise<void> {
  const failures = workerFailures;
  while (!terminateAsked && workerFailures === failures && pool.threads.some((w) => !initialized.has(w.threadId))) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

let announce: NodeJS.Immediate | null = null;
/** Jobs whose last results were posted since the last announcement. */
const completed: number[] = [];
/** A message other than results was posted since the last announcement. */
let wakeAnyway = false;

/** Posts a message to the caller; `completes` is the job whose last results it carries (-1: none). */
function post(msg: HostToMainMessage, completes = -1): void {
  port.postMessage(msg);
  if (msg.op !== "results") wakeAnyway = true;
  else if (completes >= 0) completed.push(completes);
  // Announce after posting: the caller reads the counter, then drains the port. One
  // announcement per turn of this thread's event loop, not per message: the caller drains
  // everything at once.
  announce ??= setImmediate(announcePosted);
}

function announcePosted(): void {
  announce = null;
  // Bump the counter before reading what the caller waits for (the caller sets that before it
  // reads the counter): either we see what it now waits for, or it sees the new count and does
  // not sleep. A wake-up costs the caller and this thread each a trip through the scheduler,
  // which a caller blocked on another job does not need.
  Atomics.add(control, kPosted, 1);
  const want = Atomics.load(control, kWaitFor);
  if (wakeAnyway || want === kAnyMessage || completed.includes(want)) Atomics.notify(control, kPosted);
  completed.length = 0;
  wakeAnyway = false;
}

/** A job with chunks not yet answered. */
interface Job extends JobSpec {
  id: number;
  /** Chunks not answered yet: the job is forgotten when none is left. */
  left: number;
  /**
   * Cell 0: the next chunk to hand out. Shared memory when workers claim the job's chunks
   * themselves (`claimable`); the host takes its batches from the same cell with the same add.
   */
  cursor: Int32Array;
  claimable: boolean;
}

/** Jobs in the order they came, while some of their chunks are not handed out. */
const order: Job[] = [];
let orderHead = 0;
let inFlight = 0;
let closing = false;
let chunksDone = 0;
let finished = false;
/** terminate() was asked (finish(true)). */
let terminated = false;
/** How long a chunk takes, in ms (a moving average over batches; null until a batch is back). */
let msPerChunk: number | null = null;
/** The jobs with chunks still queued or running. */
const jobs = new Map<number, Job>();
/** One AbortController per job that may be cancelled; aborting drops its queued chunks and stops its running ones. */
const controllers = new Map<number, AbortController>();

/** Longest list of items (not a typed array) that a claim task carries whole: it is copied to each task. */
const kClaimableListItems = 1024;

const aborted: FlatError = { name: "AbortError", base: "Exception", message: "The task was cancelled by its AbortSignal", args: null, props: null, stack: "", traceback: "AbortError: The task was cancelled by its AbortSignal\n" };

function failure(err: any): FlatError {
  return { name: "RuntimeError", base: "RuntimeError", message: String(err?.message ?? err), args: null, props: null, stack: "", traceback: String(err?.stack ?? err) };
}

/** Chunks of the job not handed out yet. */
function remaining(job: Job): number {
  return Math.max(0, job.count - Atomics.load(job.cursor, 0));
}

/** Hands out up to `n` consecutive chunks of the job: [first, end). */
function take(job: Job, n: number): [number, number] {
  // One add, as a worker's claim does: a chunk goes to the host or to one worker, never both.
  const first = Atomics.add(job.cursor, 0, n);
  return [Math.min(first, job.count), Math.min(first + n, job.count)];
}

/** A group of consecutive chunks of one job, and the run that carries them. */
interface Group {
  job: number;
  first: number;
  count: number;
  run: ChunkRun;
}

/** The runs for chunks [first, end) of a job: one run if its items are in one list, else one per chunk. */
function groupsOf(job: Job, first: number, end: number, out: Group[]): void {
  const cs = job.chunksize;
  if (job.flat) {
    if (end > first) out.push({ job: job.id, first, count: end - first, run: { fn: job.fn, star: job.star, kwargs: job.kwargs, chunksize: cs, items: sliceItems(job.flat, first * cs, end * cs), env: job.env } });
    return;
  }
  for (let k = first; k < end; k++) out.push({ job: job.id, first: k, count: 1, run: { fn: job.fn, star: job.star, kwargs: job.kwargs, chunksize: 0, items: job.chunks![k]!, env: job.env } });
}

/** Posts the results of a group; a job whose chunks are all answered is forgotten. */
function deliver(g: { job: number; first: number; count: number; run: { chunksize: number } }, result: RunResult | null, error?: FlatError): void {
  const job = jobs.get(g.job);
  let completes = -1;
  if (job && (job.left -= g.count) <= 0) {
    jobs.delete(g.job);
    completes = g.job;
    // The order may keep the job a while longer (see compact()): not its items.
    job.flat = null;
    job.chunks = null;
  }
  if (finished) return;
  post(error
    ? { op: "results", job: g.job, first: g.first, count: g.count, chunksize: g.run.chunksize, values: null, failures: [], error }
    : { op: "results", job: g.job, first: g.first, count: g.count, chunksize: g.run.chunksize, values: result!.values, failures: result!.failures }, completes);
}

function noteMs(ms: number): void {
  msPerChunk = msPerChunk === null ? ms : 0.7 * msPerChunk + 0.3 * ms;
}

/** True if piscina reports that the worker retired (maxtasksperchild) before running the task. */
function retired(err: any): boolean {
  return String(err?.message).includes(`worker exited with code: ${kRetireExitCode}`);
}

async function runBatch(groups: Group[], chunks: number): Promise<void> {
  const controller = controllers.get(groups[0]!.job);
  const batch: BatchTask = { runs: groups.map((g) => g.run) };
  for (let tries = 0; ; tries++) {
    try {
      const t0 = performance.now();
      const results = (await pool.run(batch, controller ? { signal: controller.signal } : undefined)) as RunResult[];
      noteMs((performance.now() - t0) / chunks);
      chunksDone += chunks;
      groups.forEach((g, i) => deliver(g, results[i]!));
      return;
    } catch (err: any) {
      if (controller?.signal.aborted) {
        for (const g of groups) deliver(g, null, aborted);
        return;
      }
      // A worker that retired (maxtasksperchild) before running this batch: run it again.
      if (retired(err) && tries < 1000) continue;
      for (const g of groups) deliver(g, null, failure(err));
      return;
    }
  }
}

/** Sends a claim task for the job: some worker runs the job's next chunk, whichever is next when it starts. */
async function runClaim(job: Job): Promise<void> {
  const slot = new Int32Array(new SharedArrayBuffer(4));
  slot[0] = -1;
  const claim: ClaimTask = { run: { fn: job.fn, star: job.star, kwargs: job.kwargs, chunksize: job.chunksize, items: job.flat!, env: job.env }, count: job.count, cursor: job.cursor, slot };
  const controller = controllers.get(job.id);
  try {
    const r = (await pool.run({ claim }, controller ? { signal: controller.signal } : undefined)) as ClaimResult;
    if (r.chunk < 0) return;
    noteMs(r.ms);
    chunksDone++;
    deliver({ job: job.id, first: r.chunk, count: 1, run: claim.run }, r.result);
  } catch (err) {
    // The task crashed or was aborted: the chunk it held, if it had claimed one, is answered here.
    const k = Atomics.load(slot, 0);
    if (k >= 0) deliver({ job: job.id, first: k, count: 1, run: claim.run }, null, controller?.signal.aborted ? aborted : failure(err));
  }
}

/** Drops the jobs whose chunks are all handed out from the front of the order. */
function compact(): void {
  while (orderHead < order.length && remaining(order[orderHead]!) === 0) orderHead++;
  if (orderHead > 1024 && orderHead * 2 > order.length) {
    order.splice(0, orderHead);
    orderHead = 0;
  }
}

/** Sends chunks to piscina while it has room for more tasks. */
function dispatch(): void {
  scheduleGrow();
  // After terminate() piscina refuses every task at once: dispatching again from their
  // rejections would loop in microtasks forever, starving this thread's event loop (the
  // "closed" message and the caller's join() with it).
  if (finished) return;
  compact();
  // Until a batch is back, how long chunks take is unknown: one chunk per batch, which costs
  // little if they are short and keeps the workers balanced if they are long.
  const long = msPerChunk === null || msPerChunk > kLongChunkMs;
  const perBatch = poolWorkerData.maxtasksperchild !== null || long ? 1 : Math.max(1, Math.min(kMaxBatch, Math.floor(kBatchMs / msPerChunk!)));
  const maxInFlight = taskCap();
  // Long chunks of a job that is not claimable go one per worker at a time.
  const maxLongInFlight = Math.min(maxInFlight, allowed * (msPerChunk !== null && msPerChunk > kLongChunkMs ? 1 : batchesPerWorker));
  for (let i = orderHead; i < order.length && inFlight < maxInFlight; ) {
    const job = order[i]!;
    const left = remaining(job);
    if (left === 0) {
      i++;
      continue;
    }
    if (long && job.claimable) {
      // Long chunks that the workers claim: two tasks per worker, the second waiting in the
      // worker behind the first, so that a worker goes from one chunk to the next without a
      // round trip through this thread. Every free place gets a task while chunks are left,
      // even more tasks than chunks: the last chunk goes to the first worker to be free, and a
      // task that starts after the last chunk is gone returns at once.
      while (inFlight < maxInFlight) {
        inFlight++;
        void runClaim(job).finally(done);
      }
      return;
    }
    if (long && inFlight >= maxLongInFlight) return;
    // Share what is waiting among the workers, up to perBatch chunks per batch. Chunks of
    // different jobs share a batch, except those of a job that may be cancelled (its batch is
    // aborted as a whole) and those that workers claim.
    const size = Math.max(1, Math.min(perBatch, Math.ceil(left / maxInFlight)));
    const solo = controllers.has(job.id);
    const groups: Group[] = [];
    const [first, end] = take(job, size);
    let chunks = end - first;
    groupsOf(job, first, end, groups);
    for (let j = i + 1; chunks < size && !solo && j < order.length; j++) {
      const next = order[j]!;
      if (controllers.has(next.id) || (long && next.claimable)) break;
      const [f, e] = take(next, size - chunks);
      groupsOf(next, f, e, groups);
      chunks += e - f;
    }
    if (chunks === 0) continue; // workers claimed the rest meanwhile: the loop moves on
    inFlight++;
    void runBatch(groups, chunks).finally(done);
  }
}

/** A task is back: send more, or finish. */
function done(): void {
  inFlight--;
  dispatch();
  maybeFinish();
}

/** How long terminate() waits for piscina to stop its workers before this thread ends them. */
const kDestroyGraceMs = 2000;

async function finish(terminating = false): Promise<void> {
  // terminate() after close(): a close that is still draining becomes a terminate (it goes on
  // below; `terminated` is set before any await, so this runs once).
  if (finished && !(terminating && !terminated)) return;
  finished = true;
  terminated ||= terminating;
  if (!terminating) {
    if (poolWorkerData.initializer) await initializersRan();
    await pool.destroy();
    post({ op: "closed" });
    setImmediate(() => port.close());
    return;
  }
  // piscina's destroy() can wait forever for a worker it is still starting (one that replaces a
  // worker that died): bounded here. Ending this thread ends every worker it started, so the
  // caller's join() returns only when none of them can run any more.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([pool.destroy().catch(() => {}), new Promise((r) => (timer = setTimeout(r, kDestroyGraceMs)))]);
  clearTimeout(timer);
  post({ op: "closed" });
  process.exit(0);
}

function maybeFinish(): void {
  compact();
  if (closing && inFlight === 0 && orderHead >= order.length) void finish();
}

port.on("message", (msg: MainToHostMessage) => {
  switch (msg.op) {
    case "submit":
      if (msg.cancellable && !controllers.has(msg.job)) {
        const c = new AbortController();
        setMaxListeners(0, c.signal);
        controllers.set(msg.job, c);
      }
      const spec = msg.spec;
      const flat = spec.flat;
      // Workers claim the chunks themselves when the job's items travel whole at little cost
      // (a typed array, shared or small, or a short list) and no worker retires mid-job.
      const claimable = flat !== null && poolWorkerData.maxtasksperchild === null && (!Array.isArray(flat) || flat.length <= kClaimableListItems);
      const cursor = claimable ? new Int32Array(new SharedArrayBuffer(4)) : new Int32Array(1);
      const job: Job = { ...spec, id: msg.job, left: spec.count, cursor, claimable };
      jobs.set(msg.job, job);
      order.push(job);
      dispatch();
      return;
    case "cancel": {
      controllers.get(msg.job)?.abort();
      // Chunks of the job that have not been handed out are answered at once. The exchange takes
      // them all in one step: a worker claiming at the same moment gets one before it or none.
      const job = jobs.get(msg.job);
      if (job) {
        const first = Math.min(Atomics.exchange(job.cursor, 0, job.count), job.count);
        if (first < job.count) deliver({ job: job.id, first, count: job.count - first, run: { chunksize: job.flat ? job.chunksize : 0 } }, null, aborted);
      }
      maybeFinish();
      return;
    }
    case "close":
      closing = true;
      maybeFinish();
      return;
    case "terminate":
      terminateAsked = true;
      void finish(true);
      return;
    case "stats": {
      const h = pool.histogram;
      const pick = (s: any) => ({ mean: s.mean, p50: s.p50, p99: s.p99, max: s.max });
      post({ op: "stats", stats: { completed: chunksDone, utilization: pool.utilization, runTime: pick(h.runTime), waitTime: pick(h.waitTime) } });
      return;
    }
  }
});
