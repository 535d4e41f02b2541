// Whole-program rows (issue #17): each program is started as a fresh OS process and timed from
// outside, from spawn to exit (hyperfine-style), CPython's counterpart beside it, and beside both
// the raw Node floor: the same work with bare worker_threads and no library (bench/startup/raw_*),
// what any worker-thread design pays on this Node. Peak RSS of the process tree (the sum over the
// process and its descendants, polled from /proc every 2 ms) is measured in runs of their own:
// the poller takes CPU, and on 2 cores timing while polling slowed both sides (CPython's hello
// went from 0.07 s to 0.15 s). The sides run alternately, one program at a time, so that a
// change of load on a shared machine hits them alike.
// Prints JSON lines {side: "ours"|"python"|"raw", name, value, ...}.
//   --reps N        runs of each program per side (default 5; peak RSS: 3 runs)
//   --only a,b      rows to run (pool_example, pool_example_tsx, hello)
//   --no-python     our side (and the raw floor) only
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const reps = Math.max(1, Number(opt("--reps", "5")));
const only = opt("--only", null)?.split(",");
const withPython = !argv.includes("--no-python");

/** The programs: ours (argv after `node`) and CPython's (argv after `python3`). */
const programs = [
  { name: "pool_example", ours: ["bench/startup/pool_example.mjs"], python: ["bench/startup/pool_example.py"], raw: ["bench/startup/raw_pool.mjs"], expect: "[1, 4, 9]\n", memory: true },
  { name: "pool_example_tsx", ours: ["--import", "tsx", "bench/startup/pool_example.ts"], python: ["bench/startup/pool_example.py"], raw: ["--import", "tsx", "bench/startup/raw_pool.ts"], expect: "[1, 4, 9]\n" },
  { name: "hello", ours: ["bench/startup/hello.mjs"], python: ["bench/startup/hello.py"], raw: ["bench/startup/raw_hello.mjs"], expect: "hello bob\n" },
].filter((p) => !only || only.includes(p.name));

/** The process ids of `pid`'s descendants (threads' children included). */
function descendants(pid, out = []) {
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids = "";
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, "utf8");
    } catch {
      continue;
    }
    for (const k of kids.split(" ").filter(Boolean)) {
      out.push(Number(k));
      descendants(Number(k), out);
    }
  }
  return out;
}

/** Resident set size of one process in kB (0 once it is gone). */
function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs one program to its end: wall time (s) from spawn to exit, and with `memory` the peak
 * tree RSS (MB) polled meanwhile.
 */
function runOnce(cmd, args, expect, memory = false) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let peak = 0;
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    // Every 2 ms catches the peak of a program that runs for a few hundred ms.
    const poll = memory
      ? setInterval(() => {
          let sum = rssKb(child.pid);
          for (const d of descendants(child.pid)) sum += rssKb(d);
          if (sum > peak) peak = sum;
        }, 2)
      : undefined;
    child.on("error", reject);
    child.on("exit", (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      clearInterval(poll);
      child.on("close", () => {
        if (code !== 0 || out !== expect) reject(new Error(`${cmd} ${args.join(" ")} exited ${code} printing ${JSON.stringify(out)}${err ? `\n${err}` : ""}`));
        else resolve({ wall, peakMb: peak / 1024 });
      });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (v, d) => Math.round(v * 10 ** d) / 10 ** d;

function emit(side, name, samples, unit, digits) {
  const rec = { side, name, value: round(median(samples), digits), unit, min: round(Math.min(...samples), digits), max: round(Math.max(...samples), digits), n: samples.length };
  process.stdout.write(JSON.stringify(rec) + "\n");
}

// The interpreter itself, not a launcher in front of it: pyenv's `python3` shim is a bash
// script that costs ~0.3 s per start, which would be counted as CPython's.
const python = withPython ? execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim() : "python3";

const loadBefore = loadavg()[0];
const sides = withPython ? ["ours", "python", "raw"] : ["ours", "raw"];
const command = (side) => (side === "python" ? python : process.execPath);
for (const p of programs) {
  const samples = { ours: [], python: [], raw: [] };
  // One warm-up run per side (page cache, tsx's compile cache), not counted.
  for (const side of sides) await runOnce(command(side), p[side], p.expect);
  for (let i = 0; i < reps; i++) {
    // Rotate which side goes first, so that none always follows another.
    const order = sides.map((_, k) => sides[(i + k) % sides.length]);
    for (const side of order) samples[side].push(await runOnce(command(side), p[side], p.expect));
  }
  process.stderr.write(`startup ${p.name}: ${sides.map((side) => `${side} ${samples[side].map((s) => s.wall.toFixed(3)).join(" ")} s`).join("; ")} (load ${loadavg()[0].toFixed(2)})\n`);
  for (const side of sides) emit(side, `startup_${p.name}_wall`, samples[side].map((s) => s.wall), "s", 3);
  if (p.memory) {
    const peaks = { ours: [], python: [], raw: [] };
    for (let i = 0; i < Math.min(3, reps); i++) for (const side of sides) peaks[side].push((await runOnce(command(side), p[side], p.expect, true)).peakMb);
    for (const side of sides) emit(side, `startup_${p.name}_peak_rss`, peaks[side], "MB", 1);
  }
}
process.stdout.write(JSON.stringify({ side: "meta", name: "startup_load", before: loadBefore, after: loadavg()[0] }) + "\n");
