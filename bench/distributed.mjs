// Benchmark of the distributed Pool (multiprocessing-ts/distributed): a redis-server of its own on
// a free loopback port, and local `multiprocessing-ts worker` processes started by the Pool.
//   - tasks/s of map() over 2 worker processes, chunksize 1 (one BullMQ job per item) and the
//     default chunksize; the per-task overhead at chunksize 1 (goal: under 1 ms);
//   - the speed-up of a CPU-bound map from 1 to 2 worker processes (goal: at least 1.7).
// Prints one JSON object per line (name, value, unit, min, max, n, goal). Usage:
//   node bench/distributed.mjs [--reps N] [--items N]
// Skips (prints {"skipped": ...}) when redis-server is not installed. Runs in under a minute.
import { spawn, spawnSync } from "node:child_process";
import { createServer, connect } from "node:net";
import { Pool } from "multiprocessing-ts/distributed";
import * as T from "./distributed_targets.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REPS = opt("--reps", 3);
const ITEMS = opt("--items", 2000);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const round = (x, d = 3) => Number(x.toFixed(d));
function emit(name, samples, unit, extra = {}) {
  process.stdout.write(JSON.stringify({ name, value: round(median(samples)), unit, min: round(Math.min(...samples)), max: round(Math.max(...samples)), n: samples.length, ...extra }) + "\n");
}

if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) {
  process.stdout.write(JSON.stringify({ skipped: "redis-server is not installed" }) + "\n");
  process.exit(0);
}

const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
for (let up = false; !up; ) {
  up = await new Promise((r) => {
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => (c.destroy(), r(true)));
    c.once("error", () => setTimeout(() => r(false), 50));
  });
}
const connection = `redis://127.0.0.1:${port}`;

/** A Pool of `n` local workers, each of which has run a task. */
function startPool(n, queue) {
  const pool = new Pool({ processes: n, connection, queue });
  // Every worker up and warm: slow one-item chunks go to each (BullMQ hands a job to whichever worker asks first).
  pool.map(T.burn, Array(4 * n).fill(100), 1);
  return pool;
}

try {
  const xs = Array.from({ length: ITEMS }, (_, i) => i);
  const pool = startPool(2, "bench-overhead");
  const one = [];
  const dflt = [];
  for (let r = 0; r < REPS; r++) {
    let t0 = performance.now();
    pool.map(T.square, xs, 1);
    one.push(ITEMS / ((performance.now() - t0) / 1000));
    const big = Array.from({ length: ITEMS * 50 }, (_, i) => i);
    t0 = performance.now();
    pool.map(T.square, big);
    dflt.push(big.length / ((performance.now() - t0) / 1000));
  }
  pool.terminate();
  pool.join();
  emit("distributed_map_chunksize1_tasks_per_s", one, "tasks/s", { workers: 2, items: ITEMS });
  emit("distributed_map_chunksize1_overhead_ms", one.map((v) => 1000 / v), "ms/task", { workers: 2, goal: "< 1" });
  emit("distributed_map_default_chunksize_tasks_per_s", dflt, "tasks/s", { workers: 2, items: ITEMS * 50 });

  // CPU-bound: 16 tasks of 100 ms, chunksize 1, on 1 then 2 worker processes.
  const work = Array(16).fill(100);
  const times = {};
  for (const n of [1, 2]) {
    const p = startPool(n, `bench-cpu-${n}`);
    times[n] = [];
    for (let r = 0; r < REPS; r++) {
      const t0 = performance.now();
      p.map(T.burn, work, 1);
      times[n].push((performance.now() - t0) / 1000);
    }
    p.terminate();
    p.join();
  }
  emit("distributed_cpu_map_1_worker_s", times[1], "s", { tasks: work.length, task_ms: 100 });
  emit("distributed_cpu_map_2_workers_s", times[2], "s", { tasks: work.length, task_ms: 100 });
  emit("distributed_cpu_speedup_1_to_2_workers", times[1].map((t1, i) => t1 / times[2][i]), "x", { goal: ">= 1.7" });
} finally {
  redis.kill("SIGTERM");
  await new Promise((r) => redis.once("exit", r));
}
