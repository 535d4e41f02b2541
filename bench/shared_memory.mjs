// multiprocessing-ts/shared_memory benchmarks, beside CPython's (bench/python/shared_memory.py):
//   shm_attach_us         new SharedMemory(name) + close() of an existing 1 MB block, in the parent
//   shm_child_first_attach_us  a new child's very first SharedMemory(name) + close()
//   shm_child_attach_us   a child attaches by name to 200 blocks it has never seen (mean per block)
//   shm_child_attach_fresh_us  a warm child attaches a block made after its last attach (nothing sent ahead)
//   shm_create_unlink_us  create (1 MB) + close() + unlink()
//   shm_100mb_write_gbs   a child attaches by name and writes 100 MB through .buf (buf.set(src))
//   shm_100mb_read_gbs    the same child reads the 100 MB back through .buf into a resident Buffer (buf.copy(dst); dst[:] = buf)
//   shm_100mb_read_new_gbs  ... and into a new Buffer (allocUnsafe + copy, as bytes(buf): mostly fresh-page faults)
// Prints one JSON object per line: ours ({name, value = median, unit, min, max, n, impl: "ours"}),
// CPython's (impl: "cpython"), then {name, ratio} where ratio > 1 means ours is better.
// Usage: node bench/shared_memory.mjs [--reps N] [--no-python]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { SharedMemory } from "multiprocessing-ts/shared_memory";
import { attachEach, attachFirst, attachFresh, bulkChild, SIZE } from "./targets_shm.mjs";

const args = process.argv.slice(2);
const REPS = args.includes("--reps") ? Number(args[args.indexOf("--reps") + 1]) : 5;
const rows = [];
function emit(name, samples, unit, digits = 3) {
  const s = [...samples].sort((a, b) => a - b);
  const m = s.length >> 1;
  const med = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  const round = (x) => Number(x.toFixed(digits));
  const row = { name, value: round(med), unit, min: round(s[0]), max: round(s.at(-1)), n: s.length, impl: "ours" };
  rows.push(row);
  process.stdout.write(JSON.stringify(row) + "\n");
}

if (mp.is_main(import.meta)) {
  const ctx = mp.get_context("forkserver"); // our counterpart of CPython's fork: a warm worker
  const base = new SharedMemory(null, true, 2 ** 20);
  try {
    const n = 2000;
    const samples = [];
    for (let k = 0; k < REPS; k++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) new SharedMemory(base.name).close();
      samples.push(((performance.now() - t0) / n) * 1e3);
    }
    emit("shm_attach_us", samples, "us");
  } finally {
    base.close();
    base.unlink();
  }
  {
    const samples = [];
    for (let k = 0; k < REPS * 3; k++) {
      // A new block each time: a reused forkserver worker would find the last one in its cache.
      const one = new SharedMemory(null, true, 4096);
      const [rd, wr] = ctx.Pipe(false);
      const p = new ctx.Process({ target: attachFirst, args: [one.name, wr] });
      p.start();
      samples.push(rd.recv() * 1e6);
      p.join();
      one.close();
      one.unlink();
    }
    emit("shm_child_first_attach_us", samples, "us");
  }
  {
    const samples = [];
    for (let k = 0; k < REPS; k++) {
      // New blocks each time: a reused forkserver worker would find the last ones in its cache.
      const blocks = Array.from({ length: 200 }, () => new SharedMemory(null, true, 4096));
      const [rd, wr] = ctx.Pipe(false);
      const p = new ctx.Process({ target: attachEach, args: [blocks.map((b) => b.name), wr] });
      p.start();
      samples.push(rd.recv() * 1e6);
      p.join();
      for (const b of blocks) (b.close(), b.unlink());
    }
    emit("shm_child_attach_us", samples, "us");
  }
  {
    const [a, b] = ctx.Pipe();
    const p = new ctx.Process({ target: attachFresh, args: [b] });
    p.start();
    const warm = new SharedMemory(null, true, 4096);
    a.send(warm.name); // the child's first attach: its hello, not measured below
    a.recv();
    const made = [warm];
    for (let i = 0; i < 20 * REPS; i++) {
      const s = new SharedMemory(null, true, 4096);
      made.push(s);
      a.send(s.name);
      a.recv();
    }
    a.send(null);
    const times = a.recv().slice(1).map((x) => x * 1e6);
    p.join();
    for (const s of made) (s.close(), s.unlink());
    emit("shm_child_attach_fresh_us", times, "us");
  }
  {
    const n = 500;
    const samples = [];
    for (let k = 0; k < REPS; k++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const s = new SharedMemory(null, true, 2 ** 20);
        s.close();
        s.unlink();
      }
      samples.push(((performance.now() - t0) / n) * 1e3);
    }
    emit("shm_create_unlink_us", samples, "us");
  }
  const big = new SharedMemory(null, true, SIZE);
  try {
    const w = [];
    const r = [];
    const rn = [];
    for (let k = 0; k < REPS; k++) {
      const [rd, wr] = ctx.Pipe(false);
      const p = new ctx.Process({ target: bulkChild, args: [big.name, wr] });
      p.start();
      const [tw, tr, trn] = rd.recv();
      p.join();
      w.push(SIZE / tw / 1e9);
      r.push(SIZE / tr / 1e9);
      rn.push(SIZE / trn / 1e9);
    }
    emit("shm_100mb_write_gbs", w, "GB/s");
    emit("shm_100mb_read_gbs", r, "GB/s");
    emit("shm_100mb_read_new_gbs", rn, "GB/s");
  } finally {
    big.close();
    big.unlink();
  }
  if (!args.includes("--no-python")) {
    const script = fileURLToPath(new URL("./python/shared_memory.py", import.meta.url));
    const py = spawnSync("python3", [script, "--reps", String(REPS)], { encoding: "utf8" });
    if (py.status === 0) {
      const theirs = py.stdout.trim().split("\n").map((l) => ({ ...JSON.parse(l), impl: "cpython" }));
      for (const row of theirs) process.stdout.write(JSON.stringify(row) + "\n");
      for (const ours of rows) {
        const t = theirs.find((x) => x.name === ours.name);
        if (!t) continue;
        const better = ours.unit === "us" ? t.value / ours.value : ours.value / t.value;
        process.stdout.write(JSON.stringify({ name: ours.name, ratio: Number(better.toFixed(2)) }) + "\n");
      }
    } else {
      process.stderr.write(`python3 side skipped: ${py.error?.message ?? py.stderr}\n`);
    }
  }
}
