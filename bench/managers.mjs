// Manager benchmarks beside CPython's Manager on the same machine: `d[k] = v; d[k]` pairs from a
// child, `l.append(i)` and `ns.x += 1` from the main process (bench/python/managers.py does the
// same in CPython). Prints one JSON object per line: name, value (ours), unit, python, ratio.
// Usage: node bench/managers.mjs [--n N] [--method spawn|forkserver]   (goal: pairs ratio >= 10)
import mp from "multiprocessing-ts";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pairs } from "./managers_targets.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const N = Number(opt("--n", 5000));
const METHOD = opt("--method", "spawn");

function python() {
  const script = fileURLToPath(new URL("./python/managers.py", import.meta.url));
  const r = spawnSync("python3", [script, String(N), METHOD], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) return {};
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => JSON.parse(l)).map((o) => [o.name, o.value]));
}

function ours() {
  const ctx = mp.get_context(METHOD);
  const out = {};
  const m = ctx.Manager();
  try {
    const d = m.dict();
    const [r, w] = ctx.Pipe(false);
    // Four times the work, after 1000 untimed pairs (managers_targets.mjs), as the rows below
    // warm up with 1000 calls: the first thousand calls run unoptimized.
    const p = new ctx.Process({ target: pairs, args: [d, N * 4, w] });
    p.start();
    out.manager_dict_pairs_from_child = Math.round(r.recv());
    p.join();
    const l = m.list();
    for (let i = 0; i < 1000; i++) l.append(i);
    let t0 = performance.now();
    for (let i = 0; i < N; i++) l.append(i);
    out.manager_list_append = Math.round(N / ((performance.now() - t0) / 1000));
    const ns = m.Namespace({ x: 0 });
    for (let i = 0; i < 1000; i++) ns.x += 1;
    ns.x = 0;
    t0 = performance.now();
    for (let i = 0; i < N; i++) ns.x += 1;
    if (ns.x !== N) throw new Error(`ns.x = ${ns.x}, expected ${N}`);
    out.manager_namespace_incr = Math.round(N / ((performance.now() - t0) / 1000));
  } finally {
    m.shutdown();
  }
  return out;
}

const units = { manager_dict_pairs_from_child: "pairs/s", manager_list_append: "calls/s", manager_namespace_incr: "incr/s" };
const mine = ours();
const theirs = python();
for (const [name, unit] of Object.entries(units)) {
  const py = theirs[name] ?? null;
  process.stdout.write(JSON.stringify({ name, value: mine[name], unit, python: py, ratio: py ? Number((mine[name] / py).toFixed(2)) : null, method: METHOD }) + "\n");
}
