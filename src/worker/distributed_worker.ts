// The `multiprocessing-ts worker` command: a worker process of distributed Pools, on any machine
// that has the project's code and can reach the Redis server. CPython's pool.worker() loop, with
// BullMQ's queue in place of the Pool's task pipe: each BullMQ job is one chunk of one Pool's job.
// The process's main thread talks to Redis (it takes jobs, renews their locks, pushes results);
// the tasks run in `--concurrency` slots, one chunk at a time each, in task threads
// (worker/distributed_task.ts) that each serve one Pool (a slot keeps a few, for the Pools it
// served last). A task thread is replaced after `--maxtasksperchild` chunks (or the Pool's own
// maxtasksperchild), and when its task ends it (process.exit) or its Pool is terminated.
// SIGTERM/SIGINT: no new jobs; the running ones finish and deliver; then the process exits 0.
// A process killed outright (SIGKILL) loses nothing: BullMQ's stalled-job check (every
// stalledInterval, once the job's lock has expired after lockDuration) puts its job back in the
// queue for another worker.

import { Worker as Thread } from "node:worker_threads";
import { Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { controlChannel, kDefaultLockMs, kDefaultPrefix, kDefaultQueue, kDefaultStalledMs, kMaxStalledCount, kPushResultLua, poolKeys, type JobData, type PoolConfig, type TaskMessage } from "../shared/distributed_protocol.js";
import { decode } from "../shared/codec.js";
import { flattenThreadExit } from "./distributed_errors.js";

/** The options of `multiprocessing-ts worker`. */
export interface WorkerOptions {
  connection: string;
  queue: string;
  prefix: string;
  /** Task threads (chunks run at once). */
  concurrency: number;
  /** Replace a task thread after this many chunks; null: never. */
  maxtasksperchild: number | null;
  /** Task modules are resolved against this folder. */
  root: string;
  lockDuration: number;
  stalledInterval: number;
  /** Times a job may lose its worker before it fails. */
  maxStalledCount: number;
  /** Exit when stdin closes (a Pool's local workers: they end with the Pool's process). */
  exitWithStdin: boolean;
}

export const usage = `usage: multiprocessing-ts worker --connection redis://host:port [--queue name] [--concurrency n] [--maxtasksperchild n]
                               [--prefix bull] [--root dir] [--lock-duration ms] [--stalled-interval ms] [--max-stalled-count n]

Runs the tasks of distributed Pools (multiprocessing-ts/distributed) that use this queue.
  --connection        the Redis server (default redis://127.0.0.1:6379)
  --queue             the BullMQ queue (default ${kDefaultQueue}); the Pool's \`queue\` option
  --concurrency       task threads: chunks run at once (default 1)
  --maxtasksperchild  replace a task thread after this many chunks (default: never)
  --prefix            BullMQ's key prefix (default ${kDefaultPrefix}); the Pool's \`prefix\` option
  --root              the project root that task modules are relative to (default: the current folder)
  --lock-duration     ms a job's lock lasts without renewal (default ${kDefaultLockMs})
  --stalled-interval  ms between checks for jobs whose worker died (default ${kDefaultStalledMs})
  --max-stalled-count times a job may lose its worker and run again before it fails (default ${kMaxStalledCount})`;

/** Parses the arguments after `worker`. @throws Error with the usage text on bad input. */
export function parseArgs(argv: string[]): WorkerOptions {
  const o: WorkerOptions = {
    connection: "redis://127.0.0.1:6379", queue: kDefaultQueue, prefix: kDefaultPrefix, concurrency: 1, maxtasksperchild: null,
    root: process.cwd(), lockDuration: kDefaultLockMs, stalledInterval: kDefaultStalledMs, maxStalledCount: kMaxStalledCount, exitWithStdin: false,
  };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, not ${v}\n${usage}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--connection": o.connection = value() ?? ""; break;
      case "--queue": o.queue = value() ?? ""; break;
      case "--prefix": o.prefix = value() ?? ""; break;
      case "--root": o.root = value() ?? ""; break;
      case "--concurrency": o.concurrency = int("--concurrency", value(), 1); break;
      case "--maxtasksperchild": o.maxtasksperchild = int("--maxtasksperchild", value(), 1); break;
      case "--lock-duration": o.lockDuration = int("--lock-duration", value(), 100); break;
      case "--stalled-interval": o.stalledInterval = int("--stalled-interval", value(), 100); break;
      case "--max-stalled-count": o.maxStalledCount = int("--max-stalled-count", value(), 0); break;
      case "--exit-with-stdin": o.exitWithStdin = true; break;
      case "-h": case "--help": throw Object.assign(new Error(usage), { help: true });
      default: throw new Error(`unknown argument: ${a}\n${usage}`);
    }
  }
  if (!/^rediss?:\/\//.test(o.connection)) throw new Error(`--connection must be a redis:// URL, not ${JSON.stringify(o.connection)}\n${usage}`);
  if (!o.queue) throw new Error(`--queue must not be empty\n${usage}`);
  return o;
}

/** A task thread: it serves one Pool (whose initializer ran in it), one chunk at a time. */
class TaskThread {
  thread: Thread | null = null;
  /** Chunks run by this thread. */
  done = 0;
  #settle: ((entry: Uint8Array | null) => void) | null = null;
  #running: TaskMessage | null = null;

  constructor(readonly root: string, boot = false) {
    if (boot) this.thread = this.#start();
  }

  #start(): Thread {
    const t = new Thread(new URL("./distributed_task.js", import.meta.url), { workerData: { root: this.root } });
    // Events of a thread that was retired meanwhile are not this object's any more.
    t.on("message", (entry: Uint8Array) => this.thread === t && this.#finish(entry));
    t.on("error", (err) => this.thread === t && this.#died(err));
    t.on("exit", (code) => this.thread === t && this.#died(code));
    return t;
  }

  #finish(entry: Uint8Array | null): void {
    const s = this.#settle;
    this.#settle = null;
    this.#running = null;
    s?.(entry);
  }

  #died(why: unknown): void {
    this.thread = null;
    this.done = 0;
    // The task ended its thread (process.exit(), a fatal error): its chunk fails, as in the local Pool.
    if (this.#running) this.#finish(flattenThreadExit(this.#running, why));
  }

  /** Runs a chunk; null if it was abandoned (its Pool was terminated). */
  run(m: TaskMessage): Promise<Uint8Array | null> {
    this.thread ??= this.#start();
    this.#running = m;
    return new Promise((resolve) => {
      this.#settle = resolve;
      this.thread!.postMessage(m);
    });
  }

  /** Stops the thread (a new one starts for the next chunk); a running chunk is abandoned. */
  retire(): void {
    const t = this.thread;
    this.thread = null;
    this.done = 0;
    this.#finish(null);
    void t?.terminate();
  }
}

/**
 * A task thread booted ahead of time (library and tsx loaded), for the next Pool that needs a new
 * thread here: a new Pool's first chunk does not wait for a thread to boot.
 */
let spare: TaskThread | null = null;
let sparesEnabled = false;

function takeSpare(root: string): TaskThread {
  const t = spare && spare.root === root ? spare : new TaskThread(root);
  spare = null;
  if (sparesEnabled) setTimeout(() => (spare ??= new TaskThread(root, true)), 50).unref();
  return t;
}

/** Most idle task threads a slot keeps for other Pools than the one it runs now. */
const kThreadsPerSlot = 4;

/**
 * One of the `--concurrency` places where a chunk runs. Each Pool gets task threads of its own,
 * as CPython's Pools never share worker processes: a module's state set by one Pool's initializer
 * is never seen by another Pool's tasks. A slot keeps the threads of the Pools it served last.
 */
class Slot {
  busy = false;
  /** The Pool of the chunk running now. */
  pool: string | null = null;
  /** Task threads by Pool, least recently used first. */
  readonly threads = new Map<string, TaskThread>();

  constructor(readonly root: string) {}

  /** The Pool's task thread in this slot (made the most recently used). */
  threadFor(pool: string): TaskThread {
    let t = this.threads.get(pool);
    if (t) this.threads.delete(pool);
    else t = takeSpare(this.root);
    this.threads.set(pool, t);
    for (const [id, old] of this.threads) {
      if (this.threads.size <= kThreadsPerSlot) break;
      old.retire();
      this.threads.delete(id);
    }
    return t;
  }

  /** Stops the Pool's thread (all threads if no Pool is named). */
  retire(pool?: string): void {
    for (const [id, t] of this.threads) {
      if (pool !== undefined && id !== pool) continue;
      t.retire();
      this.threads.delete(id);
    }
  }
}

/** Runs a worker until SIGTERM/SIGINT (or stdin's end with --exit-with-stdin). */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const redisOptions = { maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(50 * n, 1000) };
  const cmd = new Redis(o.connection, redisOptions);
  const sub = new Redis(o.connection, redisOptions);
  for (const c of [cmd, sub]) c.on("error", () => {}); // ioredis reconnects by itself
  const slots = Array.from({ length: o.concurrency }, () => new Slot(o.root));
  sparesEnabled = true;
  spare = new TaskThread(o.root, true);
  /** Each Pool's config and whether it was alive when last checked. */
  const pools = new Map<string, { config: Uint8Array | null; checked: number }>();

  await sub.subscribe(controlChannel(o.prefix, o.queue));
  sub.on("message", (_channel: string, message: string) => {
    // A Pool was terminated: its running chunks are dropped at once (their threads are replaced).
    let m: { terminate?: string };
    try {
      m = JSON.parse(message);
    } catch {
      return;
    }
    if (!m.terminate) return;
    pools.set(m.terminate, { config: null, checked: performance.now() });
    for (const s of slots) s.retire(m.terminate);
  });

  /** The Pool's config, or null if the Pool is gone (checked at most every 500 ms per Pool). */
  async function poolConfig(id: string): Promise<Uint8Array | null> {
    const known = pools.get(id);
    if (known && performance.now() - known.checked < 500) return known.config;
    const keys = poolKeys(o.prefix, o.queue, id);
    const config = await cmd.getBuffer(keys.config);
    pools.set(id, { config: config ? new Uint8Array(config) : null, checked: performance.now() });
    if (pools.size > 1000) for (const k of pools.keys()) if (pools.size > 500) pools.delete(k);
    return config ? new Uint8Array(config) : null;
  }

  async function processor(job: Job<JobData>): Promise<void> {
    const d = job.data;
    const config = await poolConfig(d.p);
    if (config === null) return; // the Pool is gone: the job completes unrun and is removed
    const slot = slots.find((s) => !s.busy)!; // BullMQ runs at most `concurrency` jobs at once
    slot.busy = true;
    slot.pool = d.p;
    try {
      const thread = slot.threadFor(d.p);
      const entry = await thread.run({
        pool: d.p, job: d.j, chunk: d.k, config, module: d.m, path: d.f, star: d.s === 1,
        kwargs: d.w ? new Uint8Array(Buffer.from(d.w, "base64")) : null,
        items: new Uint8Array(Buffer.from(d.x, "base64")),
      });
      if (entry === null) return;
      const keys = poolKeys(o.prefix, o.queue, d.p);
      // The result is pushed before the job is completed: BullMQ completes it on this same
      // connection, so Redis runs the push first, without a round trip in between. A worker that
      // dies in between has its job run again, and the Pool drops the second result; a result
      // lost otherwise (its job completed without it) is seen by the Pool, which adds the job again.
      void (cmd.eval(kPushResultLua, 2, keys.alive, keys.results, Buffer.from(entry.buffer, entry.byteOffset, entry.length)) as Promise<number>).then(
        (pushed) => pushed === -1 && pools.set(d.p, { config: null, checked: performance.now() }),
        () => {},
      );
      thread.done++;
      const poolMax = (decode(Buffer.from(config.buffer, config.byteOffset, config.length), 0, config.length) as PoolConfig).maxtasksperchild;
      if ((o.maxtasksperchild !== null && thread.done >= o.maxtasksperchild) || (poolMax !== null && thread.done >= poolMax)) thread.retire();
    } finally {
      slot.busy = false;
      slot.pool = null;
    }
  }

  const worker = new Worker<JobData>(o.queue, processor, {
    connection: cmd,
    prefix: o.prefix,
    concurrency: o.concurrency,
    lockDuration: o.lockDuration,
    stalledInterval: o.stalledInterval,
    maxStalledCount: o.maxStalledCount,
    autorun: true,
  });
  worker.on("error", () => {}); // connection errors: ioredis reconnects, BullMQ resumes

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // No new jobs; the running ones finish (and push their results) first.
      await worker.close().catch(() => {});
      sparesEnabled = false;
      spare?.retire();
      for (const s of slots) s.retire();
      await Promise.allSettled([cmd.quit(), sub.quit()]);
    })());
  await new Promise<void>((resolve) => {
    const onSignal = () => void stop().then(resolve);
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    if (o.exitWithStdin) {
      // The Pool's process is gone: finish the running chunk (so that its job does not linger
      // as active), then exit; after 5 s, exit anyway.
      const parentGone = () => {
        setTimeout(() => process.exit(0), 5000).unref();
        void stop().then(() => process.exit(0));
      };
      process.stdin.on("end", parentGone);
      process.stdin.on("error", parentGone);
      process.stdin.resume();
    }
  });
}

/** `multiprocessing-ts worker ...`: returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let o: WorkerOptions;
  try {
    o = parseArgs(argv);
  } catch (err: any) {
    (err.help ? process.stdout : process.stderr).write(err.message + "\n");
    return err.help ? 0 : 2;
  }
  await runWorker(o);
  return 0;
}
