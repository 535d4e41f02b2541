// The host thread of a distributed Pool: owns its Redis connections and BullMQ queue, as
// worker/pool_host.ts owns the local Pool's piscina. The Pool's caller may block its own thread
// (main included) in map() or get(), and BullMQ's client needs an event loop: it lives here.
// Requests arrive on the MessagePort; results are posted back and announced through a shared
// counter that the blocked caller waits on (through shared/semlock.ts) before draining the port.
//
// Each chunk is one BullMQ job (id `<pool>.<job>.<chunk>`). Workers push each chunk's result
// entry to the Pool's own list (kPushResultLua) before completing the job; this thread pops them
// in batches (BLMPOP) and keeps every chunk until its result is in. So nothing is lost:
//   - a worker killed mid-chunk: BullMQ's stalled-job check runs the job again; a second result
//     of a chunk (the worker died between pushing and completing) is dropped here;
//   - a job that lost its worker more than kMaxStalledCount times fails in BullMQ: seen by the
//     check below, and raised as the chunk's error;
//   - Redis restarted and lost its data (the Pool's `alive` key is gone): the Pool's keys are
//     written again and every chunk without a result is added again (the same job ids: one that
//     survived is not added twice);
//   - Redis unreachable for longer than redisTimeoutMs: every wait raises (never hangs).
// terminate(): the Pool's keys and its waiting jobs are removed, workers drop its running chunks
// (control channel), local workers stop; close(): once every chunk has its result.

import { spawn, type ChildProcess } from "node:child_process";
import { workerData, type MessagePort } from "node:worker_threads";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { controlChannel, jobIdOf, kHostGone, kKeyTtl, kPosted, poolKeys, type HostData, type HostToMain, type JobData, type MainToHost } from "../shared/distributed_protocol.js";

const data = workerData as HostData & { port: MessagePort };
const { control, port } = data;

process.on("uncaughtException", (err) => {
  process.stderr.write(`multiprocessing-ts: the distributed Pool's host thread failed:\n${(err as any)?.stack ?? err}\n`);
  process.exit(1);
});
process.on("exit", (code) => {
  Atomics.store(control, kHostGone, 1 + (code | 0));
  Atomics.add(control, kPosted, 1);
  Atomics.notify(control, kPosted);
});

let announce: NodeJS.Immediate | null = null;
function post(msg: HostToMain, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
  // One announcement per turn of this thread's event loop: the caller drains everything at once.
  announce ??= setImmediate(() => {
    announce = null;
    // Bump after posting: a caller that read the counter before draining sees it change and does not sleep.
    Atomics.add(control, kPosted, 1);
    Atomics.notify(control, kPosted);
  });
}

const redisOptions = { maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(50 * n, 500) };
const connect = () => (typeof data.connection === "string" ? new Redis(data.connection, redisOptions) : new Redis({ ...(data.connection as object), ...redisOptions }));
const cmd = connect();
const blocking = connect();
const keys = poolKeys(data.prefix, data.queue, data.poolId);
const config = Buffer.from(data.config.buffer, data.config.byteOffset, data.config.length);
const queue = new Queue<JobData>(data.queue, {
  connection: cmd,
  prefix: data.prefix,
  defaultJobOptions: { removeOnComplete: true, removeOnFail: { age: 3600 } },
});

/** When Redis last answered (ms, performance.now()); null while it does. */
let unreachableSince: number | null = performance.now();
let lastError = "";
for (const c of [cmd, blocking]) {
  c.on("error", (err: Error) => {
    lastError = err.message;
  });
  c.on("close", () => {
    unreachableSince ??= performance.now();
  });
  c.on("ready", () => {
    unreachableSince = null;
  });
}
queue.on("error", () => {});

/** Every chunk without a result yet, by job id. */
const outstanding = new Map<string, { job: number; chunk: number; data: JobData }>();
/** Jobs not yet added to BullMQ. */
let toAdd: Array<{ name: string; data: JobData; opts: { jobId: string } }> = [];
let adding: Promise<void> | null = null;
let closing = false;
let stopped = false;

async function writeKeys(): Promise<void> {
  await cmd.multi().set(keys.alive, "1", "EX", kKeyTtl).set(keys.config, config, "EX", kKeyTtl).exec();
}

/** Adds the waiting jobs in batches (the first chunks start while later ones are added). */
function flushAdds(): void {
  if (adding || stopped) return;
  adding = (async () => {
    while (toAdd.length && !stopped) {
      const batch = toAdd.slice(0, 1000);
      toAdd = toAdd.slice(batch.length);
      // Only jobs still without a result: terminate() may have run meanwhile.
      const live = batch.filter((b) => outstanding.has(b.opts.jobId));
      if (live.length === 0) continue;
      try {
        await queue.addBulk(live);
      } catch {
        // Redis went away: added again when it is back (see check()).
        toAdd = [...live, ...toAdd];
        await sleep(200);
      }
    }
  })().finally(() => {
    adding = null;
    maybeFinish();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Pops result entries until the Pool stops. */
async function readResults(): Promise<void> {
  while (!stopped) {
    let reply: [Buffer, Buffer[]] | null;
    try {
      reply = (await blocking.callBuffer("BLMPOP", "0.5", "1", keys.results, "LEFT", "COUNT", "2000")) as [Buffer, Buffer[]] | null;
    } catch {
      if (!stopped) await sleep(100);
      continue;
    }
    if (!reply || stopped) continue;
    const entries: Uint8Array[] = [];
    for (const e of reply[1]) {
      const id = jobIdOf(data.poolId, e.readUInt32LE(0), e.readUInt32LE(4));
      if (!outstanding.delete(id)) continue; // a second result of a chunk that ran twice
      entries.push(new Uint8Array(e));
    }
    if (entries.length) {
      lastProgress = performance.now();
      post({ op: "results", entries }, entries.map((e) => e.buffer as ArrayBuffer));
    }
    maybeFinish();
  }
}

/**
 * Every second: renews the Pool's keys (they expire kKeyTtl s after the Pool's process dies),
 * writes them and adds the outstanding jobs again if Redis lost them, reports jobs that BullMQ
 * failed, and gives up on a Redis that stays unreachable.
 */
async function check(): Promise<void> {
  if (stopped) return;
  if (unreachableSince !== null && performance.now() - unreachableSince > data.redisTimeoutMs) {
    const message = `the Redis server of the distributed Pool is unreachable (${lastError || "connection closed"}) for more than ${data.redisTimeoutMs / 1000} s; the pool cannot be used any more`;
    post({ op: "broken", message });
    await shutdown(true);
    return;
  }
  try {
    const [[, alive]] = (await cmd.multi().expire(keys.alive, kKeyTtl).expire(keys.config, kKeyTtl).expire(keys.results, kKeyTtl).exec()) as [[unknown, number]];
    if (alive === 0 && !stopped) {
      // Redis lost the Pool's keys (it restarted without persistence): start over for every
      // chunk without a result. Jobs that survived keep their ids, so they are not added twice.
      await writeKeys();
      toAdd = [...outstanding].map(([jobId, o]) => ({ name: "t", data: o.data, opts: { jobId } }));
      flushAdds();
    }
    if (outstanding.size) await checkFailed();
    if (outstanding.size && performance.now() - lastProgress > kLostAfterMs) await checkLost();
  } catch {
    // unreachable: retried next second, given up after redisTimeoutMs
  }
}

/** When a result last came in (ms). */
let lastProgress = performance.now();
/** With no result for this long (ms), the outstanding jobs are checked for ones lost without a result. */
const kLostAfterMs = 3000;

/**
 * Adds again the jobs of outstanding chunks that are not in Redis any more (completed without
 * their result reaching the Pool's list): a second run's result is dropped if the first one
 * comes after all.
 */
async function checkLost(): Promise<void> {
  lastProgress = performance.now();
  if (toAdd.length || adding) return;
  const ids = [...outstanding.keys()].slice(0, 5000);
  const pipe = cmd.pipeline();
  for (const id of ids) pipe.exists(`${data.prefix}:${data.queue}:${id}`);
  const found = (await pipe.exec()) ?? [];
  const lost = ids.filter((id, i) => found[i]?.[0] === null && found[i]?.[1] === 0 && outstanding.has(id));
  if (lost.length === 0) return;
  toAdd = lost.map((jobId) => ({ name: "t", data: outstanding.get(jobId)!.data, opts: { jobId } }));
  flushAdds();
}

/** Chunks whose job BullMQ failed (its workers died kMaxStalledCount + 1 times): raised as their error. */
async function checkFailed(): Promise<void> {
  const ids = await cmd.zrange(`${data.prefix}:${data.queue}:failed`, 0, -1);
  for (const id of ids) {
    const o = outstanding.get(id);
    if (!o) continue;
    const job = await queue.getJob(id);
    const reason = job?.failedReason ?? "the job failed";
    outstanding.delete(id);
    await queue.remove(id).catch(() => 0);
    const message = `the chunk's job ${id} failed in BullMQ: ${reason} (its worker process died ${"more than"} the allowed number of times)`;
    post({ op: "failed", job: o.job, chunk: o.chunk, error: { name: "RuntimeError", base: "RuntimeError", message, args: null, props: null, stack: "", traceback: `RuntimeError: ${message}\n` } });
  }
  maybeFinish();
}

// --- local worker processes -------------------------------------------------------------------

const children = new Set<ChildProcess>();

function startWorker(): void {
  const child = spawn(process.execPath, data.workerArgv, { stdio: ["pipe", "inherit", "inherit"] });
  children.add(child);
  child.stdin!.on("error", () => {});
  child.on("error", () => {});
  child.on("exit", () => {
    children.delete(child);
    // A worker that died (killed, out of memory) is replaced while the Pool runs, as CPython's
    // Pool replaces its workers; its chunk runs again through BullMQ's stalled-job check.
    if (!stopped && !closing) startWorker();
  });
}

/** Stops the local workers: SIGTERM (they finish their chunk), SIGKILL after `graceMs`. */
async function stopWorkers(graceMs: number): Promise<void> {
  const all = [...children];
  await Promise.all(all.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const timer = setTimeout(() => c.kill("SIGKILL"), graceMs);
    c.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    c.kill("SIGTERM");
  })));
}

// --- ending -----------------------------------------------------------------------------------

let finishing = false;
function maybeFinish(): void {
  if (closing && !finishing && outstanding.size === 0 && toAdd.length === 0 && !adding) void shutdown(false);
}

/** Ends the Pool: `terminate` drops what is outstanding, here and on every worker. */
async function shutdown(terminate: boolean): Promise<void> {
  if (finishing) return;
  finishing = true;
  stopped = true;
  clearInterval(ticker);
  // With Redis unreachable, nothing is asked of it (the Pool's keys expire by themselves).
  const reachable = unreachableSince === null;
  const withTimeout = <T>(p: () => Promise<T>, ms = 5000) => (reachable ? Promise.race([p().catch(() => undefined), sleep(ms)]) : Promise.resolve());
  if (terminate) {
    // The alive key first: from now on no worker pushes a result of this Pool or runs its chunks.
    await withTimeout(() => cmd.del(keys.alive, keys.config, keys.results));
    const ids = [...outstanding.keys()];
    outstanding.clear();
    toAdd = [];
    await withTimeout(() => Promise.all(ids.map((id) => queue.remove(id).catch(() => 0))), 10_000);
    await withTimeout(() => cmd.publish(controlChannel(data.prefix, data.queue), JSON.stringify({ terminate: data.poolId })));
  }
  await stopWorkers(terminate ? 2000 : 30_000);
  if (!terminate) await withTimeout(() => cmd.del(keys.alive, keys.config, keys.results));
  await withTimeout(() => queue.close(), 2000);
  for (const c of [cmd, blocking]) c.disconnect();
  post({ op: "closed" });
  setTimeout(() => port.close(), 10);
}

port.on("message", (msg: MainToHost) => {
  switch (msg.op) {
    case "submit": {
      if (stopped) return;
      const kw = msg.kwargs ? Buffer.from(msg.kwargs.buffer, msg.kwargs.byteOffset, msg.kwargs.length).toString("base64") : "";
      msg.chunks.forEach((items, chunk) => {
        const jobId = jobIdOf(data.poolId, msg.job, chunk);
        const d: JobData = { p: data.poolId, j: msg.job, k: chunk, m: msg.module, f: msg.path, s: msg.star ? 1 : 0, w: kw, x: Buffer.from(items.buffer, items.byteOffset, items.length).toString("base64") };
        outstanding.set(jobId, { job: msg.job, chunk, data: d });
        toAdd.push({ name: "t", data: d, opts: { jobId } });
      });
      ready.then(flushAdds);
      return;
    }
    case "close":
      closing = true;
      void ready.then(maybeFinish);
      return;
    case "terminate":
      void ready.then(() => shutdown(true));
      return;
  }
});

const ticker = setInterval(() => void check(), 1000);
const ready = writeKeys().catch(() => {}).then(() => {
  for (let i = 0; i < data.processes; i++) startWorker();
  void readResults();
});
