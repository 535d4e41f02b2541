// Pickle benchmark: dumps + loads (protocol 4) of a small object and of 1 MiB of bytes, ours
// (src/shared/pickle.ts) beside CPython's pickle (bench/python/pickle_bench.py) in the same run.
// Prints one JSON object per line (name, value = median, unit, min, max, n, impl), then a
// summary line {"pickle_ratios": {...}} (ours / CPython: below 1 is faster than CPython).
// Usage: node bench/pickle.mjs [--reps N] [--scale F] [--no-python]   (run `npm run build` first)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dumps, loads } from "../dist/shared/pickle.js";
import { tuple } from "../dist/py.js";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const REPS = Math.max(1, Number(opt("--reps", 5)));
const SCALE = Number(opt("--scale", 1));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x) => Number(x.toFixed(3));

const SMALL = {
  id: 12345, name: "alice", tags: ["a", "b", "c"], score: 1.5, ok: true,
  point: tuple(3, 4), nested: { x: [1, 2, 3], y: null }, blob: Buffer.from([0, 1, 2]),
};
const BIG = Buffer.alloc(1024 * 1024);

function measure(name, value, n, unit, factor) {
  for (let i = 0; i < Math.min(n, 200); i++) loads(dumps(value)); // warm-up
  const samples = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) loads(dumps(value));
    samples.push(((performance.now() - t0) / 1000 / n) * factor);
  }
  const row = { name, value: round(median(samples)), unit, min: round(Math.min(...samples)), max: round(Math.max(...samples)), n: REPS, impl: "multiprocessing-ts" };
  process.stdout.write(JSON.stringify(row) + "\n");
  return row;
}

const ours = [
  measure("pickle_small_dumps_loads", SMALL, Math.max(1, Math.floor(20000 * SCALE)), "us", 1e6),
  measure("pickle_1mib_bytes_dumps_loads", BIG, Math.max(1, Math.floor(200 * SCALE)), "ms", 1e3),
];

const ratios = {};
if (!args.includes("--no-python")) {
  const py = fileURLToPath(new URL("./python/pickle_bench.py", import.meta.url));
  const r = spawnSync("python3", [py, "--reps", String(REPS), "--scale", String(SCALE)], { encoding: "utf8" });
  if (r.status === 0) {
    for (const line of r.stdout.trim().split("\n")) {
      const row = { ...JSON.parse(line), impl: "cpython" };
      process.stdout.write(JSON.stringify(row) + "\n");
      const mine = ours.find((o) => o.name === row.name);
      if (mine) ratios[row.name] = round(mine.value / row.value);
    }
  } else process.stderr.write(`python3 not run: ${r.error ?? r.stderr}\n`);
}
process.stdout.write(JSON.stringify({ pickle_ratios: ratios }) + "\n");
