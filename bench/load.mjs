// Load benchmarks (issue 12): Queue throughput with 4 producers x 4 consumers and 4 x 1 (400,000
// small items in all), and 500 "spawn" processes started and joined one after another (with the
// RSS growth over them). Prints one JSON object per line: name, value = median, unit, min, max, n
// (as bench/ours.mjs); with --python, runs bench/python/load.py too and adds its value and the
// ratio (CPython's time / ours: above 1 means faster than CPython) to each row.
// Usage: node bench/load.mjs [--reps N] [--scale F] [--only a,b] [--python]
import mp from "multiprocessing-ts";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as T from "./load_targets.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const REPS = Math.max(1, Number(opt("--reps", 3)));
const SCALE = Number(opt("--scale", 1));
const ONLY = opt("--only", null)?.split(",") ?? null;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 3) => Number(x.toFixed(d));
const rows = [];
function emit(name, samples, unit, extra = {}) {
  rows.push({ name, value: round(median(samples)), unit, min: round(Math.min(...samples)), max: round(Math.max(...samples)), n: samples.length, ...extra });
}

/** Seconds from all started to all consumers done, for P producers x C consumers. */
function queueShape(ctx, P, C, total) {
  const q = ctx.Queue();
  const cnt = ctx.Array("i", 1);
  const cons = Array.from({ length: C }, () => new ctx.Process({ target: T.consumer, args: [q, cnt] }));
  const prods = Array.from({ length: P }, () => new ctx.Process({ target: T.producer, args: [q, total / P] }));
  const t0 = performance.now();
  for (const p of [...cons, ...prods]) p.start();
  for (const p of prods) p.join();
  for (let i = 0; i < C; i++) q.put(null);
  for (const p of cons) p.join();
  const s = (performance.now() - t0) / 1000;
  if (cnt.get_obj()[0] !== total) throw new Error(`${P}x${C}: received ${cnt.get_obj()[0]} of ${total}`);
  return s;
}

const want = (name) => ONLY === null || ONLY.includes(name);
const ctx = mp.get_context("forkserver"); // CPython's side uses fork: our warm workers are its counterpart
const total = Math.max(16, Math.floor(400_000 * SCALE / 16) * 16);
for (const [P, C] of [[4, 4], [4, 1]]) {
  const name = `queue_${P}x${C}`;
  if (!want(name)) continue;
  queueShape(ctx, P, C, 16_000); // warm-up: the workers boot
  const xs = [];
  for (let r = 0; r < REPS; r++) xs.push(queueShape(ctx, P, C, total));
  emit(name, xs, "s", { items: total });
}
if (want("spawn_500")) {
  const n = Math.max(1, Math.floor(500 * SCALE));
  const spawnCtx = mp.get_context("spawn");
  const xs = [];
  let growth = 0;
  for (let r = 0; r < Math.min(REPS, 2); r++) {
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const p = new spawnCtx.Process({ target: T.noop });
      p.start();
      p.join();
    }
    xs.push((performance.now() - t0) / 1000);
    growth = Math.max(growth, (process.memoryUsage().rss - rss0) / 1048576);
  }
  emit("spawn_500", xs, "s", { processes: n, rss_growth_mib: round(growth, 1) });
}

if (args.includes("--python")) {
  const py = fileURLToPath(new URL("./python/load.py", import.meta.url));
  const r = spawnSync("python3", [py, "--reps", String(REPS), "--scale", String(SCALE), ...(ONLY ? ["--only", ONLY.join(",")] : [])], { encoding: "utf8" });
  const theirs = new Map(r.stdout.trim().split("\n").filter(Boolean).map((l) => { const o = JSON.parse(l); return [o.name, o]; }));
  for (const row of rows) {
    const t = theirs.get(row.name);
    if (t) Object.assign(row, { python: t.value, ratio: round(t.value / row.value, 2) });
  }
}
for (const row of rows) process.stdout.write(JSON.stringify(row) + "\n");
