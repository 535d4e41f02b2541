// multiprocessing-ts benchmarks: the same operations as CPython's bench/python/bench_mp.py, with
// the same output (one JSON object per line: name, value = median, unit, min, max, n).
// Usage: node bench/ours.mjs [--reps N] [--scale F] [--only a,b] [--list]
//        node --import tsx bench/ours.mjs --only process_start_tsx   (targets loaded through tsx)
import mp from "multiprocessing-ts";
import { time } from "multiprocessing-ts/py";
import * as T from "./targets.mjs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const REPS = Math.max(1, Number(opt("--reps", 5)));
const SCALE = Number(opt("--scale", 1));
const nOf = (base) => Math.max(1, Math.floor(base * SCALE));
const now = () => time.perf_counter();
const log = (...a) => process.stderr.write(a.join(" ") + "\n");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d) => Number(x.toFixed(d));
function emit(name, samples, unit, digits = 3, extra = {}) {
  process.stdout.write(JSON.stringify({ name, value: round(median(samples), digits), unit, min: round(Math.min(...samples), digits), max: round(Math.max(...samples), digits), n: samples.length, ...extra }) + "\n");
}
const settle = () => time.sleep(0.05);
/** Until both workers of a Pool(2) have answered: the timed maps must not wait for a worker to
 * start (an idle worker takes every chunk while the other boots). */
function bothUp(pool) {
  for (let i = 0; i < 100; i++) if (new Set(pool.map(T.sleepPid, [0.05, 0.05], 1)).size === 2) return;
  throw new Error("the second pool worker did not come up");
}
// CPython's benchmark runs every group with the "fork" start method except the spawn half of
// process_start; our counterpart of fork is "forkserver" (warm, reused workers).
const ctx = mp.get_context("forkserver");

/**
 * Starts one process per [target, args] (each also gets a `ready` semaphore and a send
 * Connection), releases them together through `start` once all of them wait on it, and returns
 * what each sent. CPython's bench sleeps 50 ms instead of counting: enough for its forked
 * children, not for spawned workers that boot in ~100 ms, whose late start would be timed.
 */
function runParallel(targetArgs, start) {
  const procs = [];
  const readers = [];
  const ready = mp.Semaphore(0);
  for (const [target, a] of targetArgs) {
    const [r, w] = mp.Pipe(false);
    const p = new ctx.Process({ target, args: [...a, ready, w] });
    p.start();
    w.close();
    procs.push(p);
    readers.push(r);
  }
  for (const _ of procs) ready.acquire();
  time.sleep(0.05);
  start.set();
  const results = readers.map((r) => r.recv());
  for (const p of procs) p.join();
  return results;
}

const groups = {
  lock_uncontended() {
    const lock = mp.Lock();
    const n = nOf(1_000_000);
    const plain = [];
    const withs = [];
    const body = () => {};
    for (let r = 0; r < REPS + 1; r++) {
      let t0 = now();
      for (let i = 0; i < n; i++) {
        lock.acquire();
        lock.release();
      }
      const a = n / (now() - t0);
      t0 = now();
      for (let i = 0; i < n; i++) lock.with(body);
      const b = n / (now() - t0);
      if (r) { plain.push(a); withs.push(b); } // the first round warms the JIT up
    }
    emit("lock_uncontended", plain, "pairs/s", 0);
    emit("lock_uncontended_with", withs, "pairs/s", 0);
  },

  lock_contended() {
    const n = nOf(100_000);
    for (const [name, target] of [["lock_contended", T.contendedChild], ["lock_contended_with", T.contendedWithChild]]) {
      const samples = [];
      let exact = true;
      for (let r = 0; r < REPS; r++) {
        const v = mp.Value("i", 0);
        const start = mp.Event();
        const res = runParallel([[target, [v, n, start]], [target, [v, n, start]]], start);
        const t0 = Math.min(...res.map((x) => x[0]));
        const t1 = Math.max(...res.map((x) => x[1]));
        samples.push((2 * n) / (t1 - t0));
        if (v.value !== 2 * n) exact = false;
        settle();
      }
      emit(name, samples, "increments/s", 0, { exact });
    }
  },

  value() {
    const n = nOf(1_000_000);
    const raw = [];
    const locked = [];
    for (let r = 0; r < REPS + 1; r++) {
      let v = mp.Value("i", 0, { lock: false });
      let t0 = now();
      for (let i = 0; i < n; i++) v.value += 1;
      const a = n / (now() - t0);
      v = mp.Value("i", 0);
      const m = n >> 2;
      const lock = v.get_lock();
      t0 = now();
      for (let i = 0; i < m; i++) {
        lock.acquire();
        v.value += 1;
        lock.release();
      }
      const b = m / (now() - t0);
      if (r) { raw.push(a); locked.push(b); }
    }
    emit("value_unlocked_rate", raw, "ops/s", 0);
    emit("value_locked_uncontended_rate", locked, "ops/s", 0);
  },

  array() {
    const n = 1_000_000;
    const res = {};
    for (let r = 0; r < REPS; r++) {
      for (const kind of ["sync", "raw"]) {
        const arr = kind === "sync" ? mp.Array("i", n) : mp.RawArray("i", n);
        const [rd, w] = mp.Pipe(false);
        const p = new ctx.Process({ target: T.arrayChild, args: [arr, n, w] });
        p.start();
        w.close();
        const [tr, tw, tor, tow, tbr, tbw, s] = rd.recv();
        p.join();
        if (s !== 0 || arr[n - 1] !== n) throw new Error("array writes not visible");
        const add = (k, v) => (res[`${kind}_${k}`] ??= []).push(v);
        add("read", n / tr);
        add("write", n / tw);
        if (kind === "sync") {
          add("get_obj_read", n / tor);
          add("get_obj_write", n / tow);
        }
        add("bulk_read", n / tbr);
        add("bulk_write", n / tbw);
      }
    }
    for (const [k, v] of Object.entries(res)) emit(`array_${k}`, v, "elements/s", 0);
  },

  event() {
    const n = nOf(3000);
    const warm = 100;
    const samples = [];
    for (let r = 0; r < REPS; r++) {
      const ping = mp.Event();
      const pong = mp.Event();
      const p = new ctx.Process({ target: T.eventChild, args: [ping, pong, n + warm] });
      p.start();
      const lat = [];
      for (let i = 0; i < n + warm; i++) {
        const t0 = now();
        ping.set();
        pong.wait();
        pong.clear();
        if (i >= warm) lat.push(now() - t0);
      }
      p.join();
      samples.push(median(lat) * 1e6);
      settle();
    }
    emit("event_pingpong_rtt", samples, "us", 2);
  },

  queue() {
    const nInt = nOf(200_000);
    const nBytes = nOf(20_000);
    const measure = (q, kind, n, producer = T.qProducer, consumer = T.qConsumer) => {
      const start = mp.Event();
      const [t0, [t1, count, total]] = runParallel([[producer, [q, kind, n, start]], [consumer, [q, kind, start]]], start);
      if (count !== n || total !== (kind === "int" ? (n * (n - 1)) / 2 : n * 1024)) throw new Error(`queue lost items: ${count}/${n}`);
      return t1 - t0;
    };
    const sInt = [];
    const sBytes = [];
    const sSimple = [];
    for (let r = 0; r < REPS; r++) {
      sInt.push(nInt / measure(mp.Queue(), "int", nInt));
      settle();
      sBytes.push(nBytes / measure(mp.Queue(), "bytes", nBytes));
      settle();
      sSimple.push(nInt / measure(mp.SimpleQueue(), "int", nInt));
      settle();
    }
    emit("queue_int_throughput", sInt, "msgs/s", 0);
    emit("queue_1k_bytes_throughput", sBytes, "msgs/s", 0);
    emit("queue_1k_bytes_mbps", sBytes.map((x) => (x * 1024) / 1e6), "MB/s", 1);
    emit("simplequeue_int_throughput", sSimple, "msgs/s", 0);
  },

  pipe() {
    const nInt = nOf(200_000);
    const nBytes = nOf(20_000);
    const measure = (kind, n) => {
      const [a, b] = mp.Pipe();
      const start = mp.Event();
      const [t0, [t1, count]] = runParallel([[T.pipeProducer, [a, kind, n, start]], [T.pipeConsumer, [b, kind, start]]], start);
      if (count !== n) throw new Error("pipe lost messages");
      a.close();
      b.close();
      return t1 - t0;
    };
    const sInt = [];
    const sBytes = [];
    const sRaw = [];
    for (let r = 0; r < REPS; r++) {
      sInt.push(nInt / measure("int", nInt));
      settle();
      sBytes.push(nBytes / measure("bytes", nBytes));
      settle();
      sRaw.push(nBytes / measure("raw", nBytes));
      settle();
    }
    emit("pipe_int_throughput", sInt, "msgs/s", 0);
    emit("pipe_1k_bytes_throughput", sBytes, "msgs/s", 0);
    emit("pipe_1k_bytes_mbps", sBytes.map((x) => (x * 1024) / 1e6), "MB/s", 1);
    emit("pipe_1k_send_bytes_mbps", sRaw.map((x) => (x * 1024) / 1e6), "MB/s", 1);
    const n = nOf(5000);
    const warm = 200;
    const rtts = [];
    for (let r = 0; r < REPS; r++) {
      const [a, b] = mp.Pipe();
      const p = new ctx.Process({ target: T.pipeEcho, args: [b, n + warm] });
      p.start();
      const lat = [];
      for (let i = 0; i < n + warm; i++) {
        const t0 = now();
        a.send(i);
        a.recv();
        if (i >= warm) lat.push(now() - t0);
      }
      p.join();
      a.close();
      b.close();
      rtts.push(median(lat) * 1e6);
      settle();
    }
    emit("pipe_rtt", rtts, "us", 2);
  },

  semaphore() {
    const n = nOf(50_000);
    const samples = [];
    for (let r = 0; r < REPS; r++) {
      const sem = mp.BoundedSemaphore(2);
      const start = mp.Event();
      const res = runParallel(Array.from({ length: 4 }, () => [T.semChild, [sem, n, start]]), start);
      samples.push((4 * n) / (Math.max(...res.map((x) => x[1])) - Math.min(...res.map((x) => x[0]))));
      settle();
    }
    emit("semaphore_throughput", samples, "ops/s", 0);
  },

  pool() {
    const n = nOf(100_000);
    const xs = Array.from({ length: n }, (_, i) => i);
    const expect = xs.reduce((s, x) => s + x * x, 0);
    const sCreate = [];
    const sDefault = [];
    const sOne = [];
    for (let r = 0; r < REPS; r++) {
      let t0 = now();
      const pool = mp.Pool(2);
      pool.map(T.sq, [0, 1], 1); // both workers up and answering
      sCreate.push((now() - t0) * 1e3);
      bothUp(pool);
      pool.map(T.sq, xs.slice(0, 1000)); // warm-up
      t0 = now();
      let out = pool.map(T.sq, xs);
      sDefault.push(n / (now() - t0));
      if (out.reduce((a, b) => a + b, 0) !== expect) throw new Error("pool map mismatch");
      t0 = now();
      out = pool.map(T.sq, xs, 1);
      sOne.push(n / (now() - t0));
      if (out.reduce((a, b) => a + b, 0) !== expect) throw new Error("pool map mismatch");
      pool.close();
      pool.join();
      settle();
    }
    emit("pool_create_ms", sCreate, "ms", 2);
    emit("pool_map_trivial_default_chunksize", sDefault, "tasks/s", 0);
    emit("pool_map_trivial_chunksize1", sOne, "tasks/s", 0);
    const CPU_N = Math.max(1000, Math.floor(40_000_000 * Math.min(1, SCALE)));
    const tasks = new Array(16).fill(CPU_N);
    const pool = mp.Pool(2);
    bothUp(pool);
    pool.map(T.cpu, [CPU_N, CPU_N], 1); // warm both workers' JIT at full size
    for (let i = 0; i < 2; i++) T.cpu(CPU_N);
    const ratios = [];
    const dSerials = [];
    const dPools = [];
    for (let r = 0; r < REPS; r++) {
      let t0 = now();
      const serial = tasks.map((x) => T.cpu(x));
      const dSerial = now() - t0;
      t0 = now();
      const par = pool.map(T.cpu, tasks, 1);
      const dPool = now() - t0;
      if (par.reduce((a, b) => (a + b) | 0, 0) !== serial.reduce((a, b) => (a + b) | 0, 0)) throw new Error("cpu mismatch");
      ratios.push(dSerial / dPool);
      dSerials.push(dSerial);
      dPools.push(dPool);
    }
    pool.terminate();
    pool.join();
    emit("pool_cpu_speedup", ratios, "x", 3);
    emit("pool_cpu_speedup_best", [Math.min(...dSerials) / Math.min(...dPools)], "x", 3);
  },

  async process_start() {
    await processStart(T, "");
  },

  async process_start_tsx() {
    const targets = await import("./targets_ts.ts");
    await processStart(targets, "_tsx");
  },
};

// The first-line figures pause before each start(), on both sides: a spawn context boots its next
// worker ahead of time (popen/spawn.ts), and the pause is the time a program spends on other work
// between starts. The start+join figures run back to back, so they show a spawn's full cost.
const kPauseBeforeStart = 0.3;

async function processStart(targets, suffix) {
  const n = Math.max(REPS, Math.round(20 * Math.min(1, SCALE * 5)));
  for (const method of ["spawn", "forkserver"]) {
    const ctx = mp.get_context(method);
    const firstLine = [];
    const startJoin = [];
    for (let i = 0; i < n + 1; i++) { // the first round is a warm-up
      const [r, w] = mp.Pipe(false);
      let p = new ctx.Process({ target: targets.startTarget, args: [w] });
      time.sleep(kPauseBeforeStart);
      let t0 = now();
      p.start();
      w.close();
      const tChild = r.recv();
      p.join();
      r.close();
      if (i) firstLine.push((tChild - t0) * 1e3);
      p = new ctx.Process({ target: targets.emptyTarget });
      t0 = now();
      p.start();
      p.join();
      if (i) startJoin.push((now() - t0) * 1e3);
    }
    emit(`process_start${suffix}_${method}_first_line`, firstLine, "ms", 3);
    emit(`process_start${suffix}_${method}_start_join`, startJoin, "ms", 3);
  }
  if (!suffix) emit("process_start_spawn_first_of_program", firstStartOfProgram(n), "ms", 3);
}

/** start() to first line of the first child of a fresh program: no spare worker is booted yet. */
function firstStartOfProgram(n) {
  const program = `
    import mp from "multiprocessing-ts";
    import { time } from "multiprocessing-ts/py";
    import { startTarget } from ${JSON.stringify(new URL("./targets.mjs", import.meta.url).href)};
    const [r, w] = mp.Pipe(false);
    const p = new mp.Process({ target: startTarget, args: [w] });
    const t0 = time.perf_counter();
    p.start();
    w.close();
    const t = r.recv();
    p.join();
    process.stdout.write(String((t - t0) * 1e3));`;
  const out = [];
  for (let i = 0; i < n; i++) {
    const res = spawnSync(process.execPath, ["--input-type=module", "-e", program], { cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8" });
    if (res.status !== 0) throw new Error(`first-start program failed: ${res.stderr}`);
    out.push(Number(res.stdout));
  }
  return out;
}

if (args.includes("--list")) {
  process.stdout.write(Object.keys(groups).join("\n") + "\n");
} else {
  const only = (opt("--only", "") || "").split(",").filter(Boolean);
  const names = only.length ? only : Object.keys(groups).filter((g) => g !== "process_start_tsx");
  for (const name of names) {
    if (!groups[name]) throw new Error(`unknown group ${name}; --list shows them`);
    const t0 = now();
    await groups[name]();
    log(`[${name}] ${(now() - t0).toFixed(1)}s`);
  }
}
