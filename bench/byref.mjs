// Benchmark of by-reference transfer (#21 §2): the cost of sending an instance of an exported
// class through a Queue (child → parent), beside a plain object with the same fields, and the
// codec's encode+decode of one item beside CPython's pickle.dumps+loads of the same instance
// (bench/python/byref.py, run here when python3 is present). One JSON object per line:
// {"name", "value" (median), "unit", "min", "max", "n"}; ratio rows compare with CPython.
// Usage: node bench/byref.mjs [--reps N] [--items N] (defaults: 3 reps of 20,000 items, under a minute with the CPython twin)
import mp from "multiprocessing-ts";
import { time } from "multiprocessing-ts/py";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The instance that travels: an exported class, rebuilt in the receiver with its fields. */
export class Item {
  constructor(id, name, values) {
    this.id = id;
    this.name = name;
    this.values = values;
  }
  total() {
    return this.values.reduce((a, b) => a + b, 0);
  }
}

const make = (kind, i) => (kind === "instance" ? new Item(i, `item-${i}`, [1.5, 2.5, i]) : { id: i, name: `item-${i}`, values: [1.5, 2.5, i] });

/** Child: puts n items of the given kind, then null. */
export function producer(q, kind, n) {
  for (let i = 0; i < n; i++) q.put(make(kind, i));
  q.put(null);
}

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d) => Number(x.toFixed(d));
const row = (name, samples, unit, digits) => ({ name, value: round(median(samples), digits), unit, min: round(Math.min(...samples), digits), max: round(Math.max(...samples), digits), n: samples.length });

function queueRate(ctx, kind, n) {
  const q = ctx.Queue();
  const p = new ctx.Process({ target: producer, args: [q, kind, n] });
  p.start();
  let got = q.get(); // the first item: the child is up
  const t0 = time.perf_counter();
  let count = 1;
  let check = 0;
  while ((got = q.get()) !== null) {
    count++;
    check += kind === "instance" ? got.total() : got.values[2];
  }
  const dt = time.perf_counter() - t0;
  p.join();
  if (count !== n) throw new Error(`lost items: ${count}/${n}`);
  void check;
  return (n - 1) / dt;
}

async function codecCost(kind, n) {
  const { encode, decode } = await import(new URL("../dist/shared/codec.js", import.meta.url).href);
  const items = Array.from({ length: 1000 }, (_, i) => make(kind, i));
  for (const it of items) decode(encode(it), 0, 0); // warm up
  const t0 = time.perf_counter();
  for (let r = 0; r < n / 1000; r++) for (const it of items) {
    const b = encode(it);
    decode(b, 0, b.length);
  }
  return ((time.perf_counter() - t0) / n) * 1e6;
}

if (mp.is_main(import.meta)) {
  const REPS = opt("--reps", 3);
  const N = opt("--items", 20_000);
  const ctx = mp.get_context("forkserver");
  const rows = [];
  for (const kind of ["instance", "plain"]) {
    const rates = [];
    const costs = [];
    for (let r = 0; r < REPS; r++) {
      rates.push(queueRate(ctx, kind, N));
      costs.push(await codecCost(kind, 100_000));
    }
    rows.push(row(`byref_queue_${kind}_throughput`, rates, "msgs/s", 0));
    rows.push(row(`byref_codec_${kind}_us`, costs, "us/item", 3));
  }
  for (const r of rows) process.stdout.write(JSON.stringify(r) + "\n");
  const py = spawnSync("python3", [fileURLToPath(new URL("./python/byref.py", import.meta.url)), "--reps", String(REPS), "--items", String(N)], { encoding: "utf8" });
  if (py.status === 0) {
    const theirs = Object.fromEntries(py.stdout.trim().split("\n").map((l) => JSON.parse(l)).map((r) => [r.name, r]));
    for (const r of Object.values(theirs)) process.stdout.write(JSON.stringify({ ...r, name: `cpython_${r.name}` }) + "\n");
    const ours = Object.fromEntries(rows.map((r) => [r.name, r]));
    const ratio = (name, value) => process.stdout.write(JSON.stringify({ name, value: round(value, 2), unit: "x CPython (higher is better)" }) + "\n");
    for (const kind of ["instance", "plain"]) {
      const q = `byref_queue_${kind}_throughput`;
      const c = `byref_codec_${kind}_us`;
      if (theirs[q]) ratio(`${q}_vs_cpython`, ours[q].value / theirs[q].value);
      if (theirs[c]) ratio(`${c}_vs_cpython`, theirs[c].value / ours[c].value);
    }
  }
}
