// Managers on a socket: put+get pairs through a served queue, for each pairing of server and
// client (Node or CPython 3.11), each in its own OS process on loopback, CPython⇄CPython
// beside. Prints one JSON object per line (name, value = median pairs/s, unit, min, max, n),
// then a summary line with the ratios. Goal: the Node server ≥ 1.5x CPython's with CPython clients.
// Beside them (impl "raw-node"), the floor: CPython clients against remote_managers_raw.mjs, a
// bare Node socket speaking the same frames and handshake with canned replies (no library, no
// unpickling). And `--clients` CPython clients at once on the one served queue (rows
// "..._4_python_clients_at_once": all their pairs per second, first start to last end), where
// CPython's server has a thread per connection under one GIL. Every pairing runs once per round
// (servers started once), so that the load of the machine moves all rows alike. Each row also
// gives the server process's CPU time per pair (all its threads, warm-up pairs included; Linux).
// Usage: node bench/remote_managers.mjs [--reps 3] [--pairs 1500] [--clients 4]
// (The same file is the Node server and client processes: `serve <key>`, `client <port> <key> <n>`.)
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { is_main } from "multiprocessing-ts";
import { BaseManager, StdQueue } from "multiprocessing-ts/managers";

const self = fileURLToPath(import.meta.url);
const pyScript = fileURLToPath(new URL("./python/remote_managers.py", import.meta.url));
const rawScript = fileURLToPath(new URL("./remote_managers_raw.mjs", import.meta.url));

const queue = new StdQueue();
/** The served queue (the server process imports this module to find it). */
export function get_queue() {
  return queue;
}
export class QueueManager extends BaseManager {}
QueueManager.register("get_queue", get_queue);

const [mode, ...rest] = process.argv.slice(2);
if (!is_main(import.meta)) {
  // imported by the manager's server process: nothing to run
} else if (mode === "serve") {
  const m = new QueueManager({ address: ["127.0.0.1", 0], authkey: Buffer.from(rest[0]) });
  m.start();
  process.stdout.write(`PORT ${m.address[1]}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    m.shutdown();
    process.exit(0);
  });
} else if (mode === "client") {
  const [port, key, n] = [Number(rest[0]), rest[1], Number(rest[2])];
  class Client extends BaseManager {}
  Client.register("get_queue");
  const m = new Client({ address: ["127.0.0.1", port], authkey: Buffer.from(key) });
  m.connect();
  const q = m.get_queue();
  for (let i = 0; i < Math.min(200, n); i++) {
    q.put(i);
    q.get();
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    q.put(i);
    q.get();
  }
  const dt = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ pairs_per_s: n / dt }) + "\n");
  process.exit(0);
} else if (mode === undefined || mode.startsWith("--")) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
  const REPS = opt("--reps", 3);
  const PAIRS = opt("--pairs", 1500);
  const CLIENTS = opt("--clients", 4);
  const key = "bench-" + process.pid;
  const python = spawnSync("python3", ["-c", "import multiprocessing"], { stdio: "ignore" }).status === 0;
  const cmd = { node: [process.execPath, self], python: ["python3", pyScript], "raw-node": [process.execPath, rawScript] };

  async function startServer(kind) {
    const [exe, script] = cmd[kind];
    const child = spawn(exe, kind === "raw-node" ? [script, key] : [script, "serve", key], { stdio: ["pipe", "pipe", "inherit"] });
    const line = await new Promise((res, rej) => {
      let buf = "";
      child.stdout.setEncoding("utf8").on("data", (d) => {
        buf += d;
        if (buf.includes("\n")) res(buf.split("\n")[0]);
      });
      child.once("exit", () => rej(new Error(`${kind} server exited`)));
    });
    return { child, port: Number(line.split(" ")[1]) };
  }
  function runClient(kind, port) {
    const [exe, script] = cmd[kind];
    const r = spawnSync(exe, [script, "client", String(port), key, String(PAIRS)], { encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${kind} client failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)).pairs_per_s;
  }
  /** CLIENTS CPython clients at once on the one served queue: all their pairs / the time from the first start to the last end. */
  async function runClients(port) {
    const startAt = Date.now() / 1000 + 1.5;
    const outs = await Promise.all(Array.from({ length: CLIENTS }, () => new Promise((res, rej) => {
      const c = spawn("python3", [pyScript, "client", String(port), key, String(PAIRS), String(startAt)], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      c.stdout.setEncoding("utf8").on("data", (d) => (out += d));
      c.once("exit", (code) => (code === 0 ? res(JSON.parse(out.trim().split("\n").at(-1))) : rej(new Error(`python client exited with ${code}`))));
    })));
    const start = Math.min(...outs.map((o) => o.start));
    const end = Math.max(...outs.map((o) => o.end));
    return (CLIENTS * PAIRS) / (end - start);
  }
  /** CPU time (user + system, µs) of a process and all its threads so far; null off Linux. */
  const cpuUs = (pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // clock ticks of 1/100 s (USER_HZ)
    } catch {
      return null;
    }
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  // Every pairing once per round, rounds one after another: the machine's load moves all alike.
  const pairings = python
    ? [["node", "node"], ["node", "python"], ["python", "node"], ["python", "python"], ["raw-node", "python"], ["node", "many"], ["python", "many"], ["raw-node", "many"]]
    : [["node", "node"]];
  const servers = {};
  for (const kind of new Set(pairings.map(([s]) => s))) servers[kind] = await startServer(kind);
  const samples = {};
  /** The server process's CPU time per timed pair (µs): what a call costs it, whatever the client. */
  const cpuPerPair = {};
  try {
    for (let i = 0; i < REPS; i++) {
      for (const [server, client] of pairings) {
        const { port, child } = servers[server];
        const c0 = cpuUs(child.pid);
        (samples[`${server}/${client}`] ??= []).push(client === "many" ? await runClients(port) : runClient(client, port));
        const c1 = cpuUs(child.pid);
        // The warm-up pairs (200 a client) count too.
        const pairs = (client === "many" ? CLIENTS : 1) * (PAIRS + Math.min(200, PAIRS));
        if (c0 !== null && c1 !== null) (cpuPerPair[`${server}/${client}`] ??= []).push((c1 - c0) / pairs);
      }
    }
  } finally {
    for (const s of Object.values(servers)) {
      s.child.stdin.end();
      s.child.kill();
    }
  }
  const results = {};
  for (const [server, client] of pairings) {
    const xs = samples[`${server}/${client}`];
    results[`${server}/${client}`] = median(xs);
    const name = client === "many"
      ? `remote_manager_queue_pairs_${server.replace("-", "_")}_server_${CLIENTS}_python_clients_at_once`
      : `remote_manager_queue_pairs_${server.replace("-", "_")}_server_${client}_client`;
    const cpu = cpuPerPair[`${server}/${client}`];
    const row = { name, value: Math.round(median(xs)), unit: "pairs/s", min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)), n: xs.length, server_cpu_us_per_pair: cpu ? Math.round(median(cpu)) : null };
    if (server === "raw-node") row.impl = "raw-node";
    process.stdout.write(JSON.stringify(row) + "\n");
  }
  const ratio = (a, b) => (results[a] && results[b] ? Number((results[a] / results[b]).toFixed(2)) : null);
  process.stdout.write(JSON.stringify({
    name: "remote_manager_summary",
    node_server_vs_cpython_server_with_cpython_clients: ratio("node/python", "python/python"),
    node_server_vs_cpython_server_with_node_clients: ratio("node/node", "python/node"),
    node_client_vs_cpython_client_on_node_server: ratio("node/node", "node/python"),
    // The floor: a bare Node socket answering with canned bytes (remote_managers_raw.mjs).
    raw_node_floor_vs_cpython_server_with_cpython_clients: ratio("raw-node/python", "python/python"),
    node_server_share_of_raw_node_floor: ratio("node/python", "raw-node/python"),
    [`node_server_vs_cpython_server_with_${CLIENTS}_cpython_clients_at_once`]: ratio("node/many", "python/many"),
    [`raw_node_floor_vs_cpython_server_with_${CLIENTS}_cpython_clients_at_once`]: ratio("raw-node/many", "python/many"),
    pairs: PAIRS, reps: REPS, clients: CLIENTS, loadavg: loadavg().map((x) => Number(x.toFixed(2))), python,
  }) + "\n");
}
