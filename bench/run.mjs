// `npm run bench`: every benchmark of bench/ours.mjs, CPython's counterpart (bench/python/
// bench_mp.py, when python3 is present) and the raw Node limits (bench/node/limits.mjs), in one
// run on this machine. Prints one table (operation, ours, CPython, ratio, raw Node limit, share
// of the limit), writes bench/results/<date>.json and latest.json, and bench/results/chart.svg.
//   --quick         smoke run, under a minute (fewer repetitions, smaller counts)
//   --reps N        samples per measurement (default 5; quick 2)
//   --scale F       multiply iteration counts (default 1; quick 0.2)
//   --out DIR       where to write the results (default bench/results)
//   --no-python     skip CPython
//   --readme        also put the table into README.md (between the bench markers)
//   --only-startup  only the whole-program rows (bench/startup.mjs): check them alone
//   --from FILE     measure nothing: rebuild the table, chart and README from a results JSON
//                   (after a change to bench/rows.mjs); FILE's rows are rewritten
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { rows } from "./rows.mjs";
import { chartSvg, formatTable } from "./report.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = argv.includes("--quick");
const reps = opt("--reps", quick ? "2" : "5");
const scale = opt("--scale", quick ? "0.2" : "1");
const outDir = opt("--out", `${root}bench/results`);
const withPython = !argv.includes("--no-python");

/** Runs a command, passes its stderr through as progress, returns its JSON lines. */
function jsonl(label, cmd, args) {
  return new Promise((resolve) => {
    process.stderr.write(`[bench] ${label}\n`);
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => process.stderr.write(`        ${String(d).trimEnd().replace(/\n/g, "\n        ")}\n`));
    child.on("error", () => resolve({}));
    child.on("close", (code) => {
      if (code !== 0) process.stderr.write(`[bench] ${label} exited with ${code}\n`);
      const results = {};
      for (const line of out.split("\n")) {
        if (!line.startsWith("{")) continue;
        const r = JSON.parse(line);
        results[r.side ? `${r.side}:${r.name}` : r.name] = r;
      }
      resolve(results);
    });
  });
}

const from = opt("--from", null);
let ours = {};
let limits = {};
let python = {};
let meta;
if (from) {
  const record = JSON.parse(readFileSync(from, "utf8"));
  ({ ours, python, limits } = record.raw);
  meta = record.meta;
} else {
  const common = ["--reps", reps, "--scale", scale];
  const loadBefore = loadavg()[0];
  // Whole programs first, each a fresh process timed from outside, ours and CPython's
  // alternately (bench/startup.mjs).
  const startup = await jsonl("whole programs (ours and CPython alternately)", process.execPath, ["bench/startup.mjs", "--reps", String(Math.max(5, Number(reps))), ...(withPython ? [] : ["--no-python"])]);
  const startupLoadAfter = loadavg()[0];
  const onlyStartup = argv.includes("--only-startup");
  if (!onlyStartup) {
    const oursGroups = ["lock_uncontended", "lock_contended", "value", "array", "event", "queue", "pipe", "semaphore", "process_start", "pool"];
    for (const g of oursGroups) Object.assign(ours, await jsonl(`multiprocessing-ts: ${g}`, process.execPath, ["bench/ours.mjs", "--only", g, ...common]));
    Object.assign(ours, await jsonl("multiprocessing-ts: process_start under tsx", process.execPath, ["--import", "tsx", "bench/ours.mjs", "--only", "process_start_tsx", ...common]));
    limits = await jsonl("raw Node limits", process.execPath, ["bench/node/limits.mjs", "--only", "lock_uncontended,lock_contended,value,array,pingpong,messageport,ring,worker_start,semaphore,pool", ...common]);
    Object.assign(limits, await jsonl("raw piscina (the engine behind Pool)", process.execPath, ["bench/node/piscina_baseline.mjs", "--from", root, ...common]));
    python = withPython
      ? await jsonl("CPython", "python3", ["bench/python/bench_mp.py", "--only", "lock_uncontended,lock_contended,value,array,event,queue,pipe,semaphore,process_start,pool", ...common])
      : {};
  }
  const loadAfter = loadavg()[0];
  let base = null;
  if (onlyStartup) {
    // The other rows come from the last full run (its date stays in the header; the
    // whole-program rows say when and under what load they were measured).
    try {
      base = JSON.parse(readFileSync(`${outDir}/latest.json`, "utf8"));
      ({ ours, python, limits } = base.raw);
    } catch {
      base = null;
    }
  }
  for (const r of Object.values(startup)) {
    if (r.side === "ours") ours[r.name] = r;
    else if (r.side === "python") python[r.name] = r;
    else if (r.side === "raw") limits[r.name] = r;
  }
  const startupMeta = { date: new Date().toISOString(), load: { before: loadBefore, after: startupLoadAfter } };
  meta = base ? { ...base.meta, startup: startupMeta } : {
    startup: startupMeta,
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? "unknown"} × ${cpus().length}`,
    reps: Number(reps),
    scale: Number(scale),
    python: withPython ? "python3 bench/python/bench_mp.py" : null,
    load: { before: loadBefore, after: loadAfter },
  };
}

const table = rows.map((row) => {
  const o = ours[row.ours];
  const p = python[row.python];
  const l = row.limit ? limits[row.limit] : undefined;
  const better = (a, b) => (row.kind === "time" ? b / a : a / b); // > 1: the first is better
  return {
    ...row,
    ours: o ?? null,
    cpython: p ?? null,
    limit: l ?? null,
    ratio: o && p ? better(o.value, p.value) : null,
    ofLimit: o && l ? better(o.value, l.value) : null,
  };
});

mkdirSync(outDir, { recursive: true });
const record = { meta, rows: table, raw: { ours, python, limits } };
if (from) {
  writeFileSync(from, JSON.stringify(record, null, 2) + "\n");
} else {
  // A re-measure of the whole-program rows alone is filed under its own date.
  const alone = argv.includes("--only-startup") && meta.startup;
  const stamp = (alone ? `startup-${meta.startup.date}` : meta.date).replace(/[:.]/g, "-");
  const tag = quick ? "quick-" : "";
  writeFileSync(`${outDir}/${tag}${stamp}.json`, JSON.stringify(record, null, 2) + "\n");
  writeFileSync(`${outDir}/${tag}latest.json`, JSON.stringify(record, null, 2) + "\n");
}
writeFileSync(`${outDir}/${quick ? "quick-chart" : "chart"}.svg`, chartSvg(table, meta));
const text = formatTable(table, meta);
process.stdout.write(text + "\n");
if (argv.includes("--readme")) {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error("README.md has no bench markers");
  writeFileSync(`${root}README.md`, readme.slice(0, i + start.length) + "\n" + text + "\n" + readme.slice(j));
}
process.stderr.write(`[bench] results in ${outDir}\n`);
