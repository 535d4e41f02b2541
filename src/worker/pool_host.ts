// The host of a Pool: a worker thread that owns the piscina instance. piscina dispatches on its
// thread's event loop; the Pool's caller may block its own thread (main included) in map() or
// get(), so piscina cannot live there. Requests arrive on a MessagePort (this thread's event loop
// is always free); results are posted back on the port and announced through a shared counter,
// which the blocked caller waits on with Atomics.wait and then drains with receiveMessageOnPort —
// no event loop needed on the caller's side (piscina-host.md).
// Chunks wait in a queue here and go to piscina in batches: piscina's per-task cost (a message
// and a worker wake-up, ~50 µs) is paid per batch, while each chunk keeps its own result. A job
// whose items are primitives arrives as one list (numbers as one typed array): consecutive chunks
// of it travel as one slice of that list (a "run"), and their results come back as one list, so
// that a thousand one-item chunks cost a few messages, not thousands of small objects to copy. How
// many chunks make a batch follows how long chunks take: short ones are grouped up to ~2 ms of
// work, and long ones go one at a time, one per worker, so that an idle worker always takes the
// next one (Python's load balancing for CPU-bound work).

import { setMaxListeners } from "node:events";
import { workerData, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import { patchStdioSync } from "../shared/stdio.js";
import { kPosted, kRetireExitCode, type BatchTask, type ChunkRun, type FlatError, type HostToMainMessage, type JobSpec, type MainToHostMessage, type PoolWorkerData, type RunResult } from "../shared/pool_protocol.js";
import type { PackedItems } from "../shared/codec.js";

patchStdioSync();

/** Batches in flight per worker: the next one is already there when a worker finishes one. */
const kBatchesInFlight = 2;
/** Most chunks in one batch. */
const kMaxBatch = 256;
/** The work a batch of short chunks is sized to, in ms. */
const kBatchMs = 2;
/** Chunks that take longer than this (ms) go one per worker at a time. */
const kLongChunkMs = 5;

const { port, control, processes, poolWorkerData } = workerData as {
  port: MessagePort;
  control: Int32Array;
  processes: number;
  poolWorkerData: PoolWorkerData;
};

// A worker that retires (maxtasksperchild) exits as its next batch arrives: it must hold one
// batch at a time, or the batch it finished could be lost with it.
const batchesPerWorker = poolWorkerData.maxtasksperchild !== null ? 1 : kBatchesInFlight;

const pool = new Piscina({
  filename: new URL("./pool_worker.js", import.meta.url).href,
  minThreads: processes,
  maxThreads: processes,
  idleTimeout: Infinity,
  workerData: poolWorkerData,
  recordTiming: true,
  concurrentTasksPerWorker: batchesPerWorker,
});

let announce: NodeJS.Immediate | null = null;

function post(msg: HostToMainMessage): void {
  port.postMessage(msg);
  // Announce after posting: the caller reads the counter, then drains the port. One wake-up per
  // turn of this thread's event loop, not per message: the caller drains everything at once.
  announce ??= setImmediate(() => {
    announce = null;
    Atomics.add(control, kPosted, 1);
    Atomics.notify(control, kPosted);
  });
}

/** A chunk waiting for a worker. */
interface Pending {
  job: number;
  chunk: number;
}

const queue: Pending[] = [];
let queueHead = 0;
let inFlight = 0;
let closing = false;
let chunksDone = 0;
let finished = false;
/** How long a chunk takes, in ms (a moving average over batches; null until a batch is back). */
let msPerChunk: number | null = null;
/** The jobs with chunks still queued or running. */
const jobs = new Map<number, JobSpec & { left: number }>();
/** One AbortController per job that may be cancelled; aborting drops its queued chunks and stops its running ones. */
const controllers = new Map<number, AbortController>();

const aborted: FlatError = { name: "AbortError", base: "Exception", message: "The task was cancelled by its AbortSignal", args: null, props: null, stack: "", traceback: "AbortError: The task was cancelled by its AbortSignal\n" };

function failure(err: any): FlatError {
  return { name: "RuntimeError", base: "RuntimeError", message: String(err?.message ?? err), args: null, props: null, stack: "", traceback: String(err?.stack ?? err) };
}

/** Items a to b of a packed list (shared memory is shared, not copied, by a typed array view). */
function sliceItems(p: PackedItems, a: number, b: number): PackedItems {
  if (Array.isArray(p)) return p.slice(a, b);
  return p.buffer instanceof SharedArrayBuffer ? p.subarray(a, b) : p.slice(a, b);
}

/** A group of consecutive chunks of one job, and the run that carries them. */
interface Group {
  job: number;
  first: number;
  count: number;
  run: ChunkRun;
}

/** Cuts a batch's chunks into runs: consecutive chunks of a job whose items are in one list share a run. */
function groupsOf(items: Pending[]): Group[] {
  const groups: Group[] = [];
  let i = 0;
  while (i < items.length) {
    const { job, chunk } = items[i]!;
    const spec = jobs.get(job)!;
    let j = i + 1;
    if (spec.flat) while (j < items.length && items[j]!.job === job && items[j]!.chunk === items[j - 1]!.chunk + 1) j++;
    const count = j - i;
    const cs = spec.chunksize;
    const run: ChunkRun = spec.flat
      ? { fn: spec.fn, star: spec.star, kwargs: spec.kwargs, chunksize: cs, items: sliceItems(spec.flat, chunk * cs, (chunk + count) * cs) }
      : { fn: spec.fn, star: spec.star, kwargs: spec.kwargs, chunksize: 0, items: spec.chunks![chunk]! };
    groups.push({ job, first: chunk, count, run });
    i = j;
  }
  return groups;
}

/** Posts the results of a group; a job whose chunks are all answered is forgotten. */
function deliver(g: Group, result: RunResult | null, error?: FlatError): void {
  const spec = jobs.get(g.job);
  if (spec && (spec.left -= g.count) <= 0) jobs.delete(g.job);
  if (finished) return;
  post(error
    ? { op: "results", job: g.job, first: g.first, count: g.count, chunksize: g.run.chunksize, values: null, failures: [], error }
    : { op: "results", job: g.job, first: g.first, count: g.count, chunksize: g.run.chunksize, values: result!.values, failures: result!.failures });
}

async function runBatch(items: Pending[]): Promise<void> {
  const controller = controllers.get(items[0]!.job);
  const groups = groupsOf(items);
  const batch: BatchTask = { runs: groups.map((g) => g.run) };
  for (let tries = 0; ; tries++) {
    try {
      const t0 = performance.now();
      const results: RunResult[] = await pool.run(batch, controller ? { signal: controller.signal } : undefined);
      const ms = (performance.now() - t0) / items.length;
      msPerChunk = msPerChunk === null ? ms : 0.7 * msPerChunk + 0.3 * ms;
      chunksDone += items.length;
      groups.forEach((g, i) => deliver(g, results[i]!));
      return;
    } catch (err: any) {
      if (controller?.signal.aborted) {
        for (const g of groups) deliver(g, null, aborted);
        return;
      }
      // A worker that retired (maxtasksperchild) before running this batch: run it again.
      if (String(err?.message).includes(`worker exited with code: ${kRetireExitCode}`) && tries < 1000) continue;
      for (const g of groups) deliver(g, null, failure(err));
      return;
    }
  }
}

/** Sends queued chunks to piscina while it has room for more batches. */
function dispatch(): void {
  // Until a batch is back, how long chunks take is unknown: one chunk per batch, which costs
  // little if they are short and keeps the workers balanced if they are long.
  const long = msPerChunk === null || msPerChunk > kLongChunkMs;
  const perBatch = poolWorkerData.maxtasksperchild !== null || long ? 1 : Math.max(1, Math.min(kMaxBatch, Math.floor(kBatchMs / msPerChunk!)));
  const maxInFlight = processes * (msPerChunk !== null && msPerChunk > kLongChunkMs ? 1 : batchesPerWorker);
  while (queueHead < queue.length && inFlight < maxInFlight) {
    const waiting = queue.length - queueHead;
    // Share what is waiting among the workers, up to perBatch chunks per batch.
    const size = Math.max(1, Math.min(perBatch, Math.ceil(waiting / maxInFlight)));
    // Chunks of different jobs share a batch, except those of a job that may be cancelled (its
    // batch is aborted as a whole).
    const job = queue[queueHead]!.job;
    const solo = controllers.has(job);
    const items: Pending[] = [];
    while (items.length < size && queueHead < queue.length) {
      const next = queue[queueHead]!;
      if (next.job !== job && (solo || controllers.has(next.job))) break;
      items.push(next);
      queueHead++;
    }
    if (queueHead > 4096 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
    inFlight++;
    void runBatch(items).finally(() => {
      inFlight--;
      dispatch();
      maybeFinish();
    });
  }
}

async function finish(): Promise<void> {
  if (finished) return;
  finished = true;
  await pool.destroy();
  post({ op: "closed" });
  setImmediate(() => port.close());
}

function maybeFinish(): void {
  if (closing && inFlight === 0 && queueHead >= queue.length) void finish();
}

port.on("message", (msg: MainToHostMessage) => {
  switch (msg.op) {
    case "submit":
      if (msg.cancellable && !controllers.has(msg.job)) {
        const c = new AbortController();
        setMaxListeners(0, c.signal);
        controllers.set(msg.job, c);
      }
      jobs.set(msg.job, { ...msg.spec, left: msg.spec.count });
      for (let chunk = 0; chunk < msg.spec.count; chunk++) queue.push({ job: msg.job, chunk });
      dispatch();
      return;
    case "cancel": {
      controllers.get(msg.job)?.abort();
      // Chunks of the job that have not started are answered at once.
      const dropped = queue.slice(queueHead).filter((p) => p.job === msg.job);
      if (dropped.length) {
        const keep = queue.slice(queueHead).filter((p) => p.job !== msg.job);
        queue.length = 0;
        queue.push(...keep);
        queueHead = 0;
        for (const g of groupsOf(dropped)) deliver(g, null, aborted);
      }
      maybeFinish();
      return;
    }
    case "close":
      closing = true;
      maybeFinish();
      return;
    case "terminate":
      void finish();
      return;
    case "stats": {
      const h = pool.histogram;
      const pick = (s: any) => ({ mean: s.mean, p50: s.p50, p99: s.p99, max: s.max });
      post({ op: "stats", stats: { completed: chunksDone, utilization: pool.utilization, runTime: pick(h.runTime), waitTime: pick(h.waitTime) } });
      return;
    }
  }
});
