// Managers on a socket: put+get pairs through a served queue, for each pairing of server and
// client (Node or CPython 3.11), each in its own OS process on loopback, CPython⇄CPython
// beside. Prints one JSON object per line (name, value = median pairs/s, unit, min, max, n),
// then a summary line with the ratios. Goal: the Node server ≥ 1.5x CPython's with CPython clients.
// Usage: node bench/remote_managers.mjs [--reps 3] [--pairs 1500]
// (The same file is the Node server and client processes: `serve <key>`, `client <port> <key> <n>`.)
import { spawn, spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { is_main } from "multiprocessing-ts";
import { BaseManager, StdQueue } from "multiprocessing-ts/managers";

const self = fileURLToPath(import.meta.url);
const pyScript = fileURLToPath(new URL("./python/remote_managers.py", import.meta.url));

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
  const key = "bench-" + process.pid;
  const python = spawnSync("python3", ["-c", "import multiprocessing"], { stdio: "ignore" }).status === 0;
  const cmd = { node: [process.execPath, self], python: ["python3", pyScript] };

  async function startServer(kind) {
    const [exe, script] = cmd[kind];
    const child = spawn(exe, [script, "serve", key], { stdio: ["pipe", "pipe", "inherit"] });
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
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const results = {};
  const kinds = python ? ["node", "python"] : ["node"];
  for (const server of kinds) {
    const s = await startServer(server);
    try {
      for (const client of kinds) {
        const samples = [];
        for (let i = 0; i < REPS; i++) samples.push(runClient(client, s.port));
        const name = `remote_manager_queue_pairs_${server}_server_${client}_client`;
        results[`${server}/${client}`] = median(samples);
        process.stdout.write(JSON.stringify({ name, value: Math.round(median(samples)), unit: "pairs/s", min: Math.round(Math.min(...samples)), max: Math.round(Math.max(...samples)), n: samples.length }) + "\n");
      }
    } finally {
      s.child.stdin.end();
      s.child.kill();
    }
  }
  const ratio = (a, b) => (results[a] && results[b] ? Number((results[a] / results[b]).toFixed(2)) : null);
  process.stdout.write(JSON.stringify({
    name: "remote_manager_summary",
    node_server_vs_cpython_server_with_cpython_clients: ratio("node/python", "python/python"),
    node_server_vs_cpython_server_with_node_clients: ratio("node/node", "python/node"),
    node_client_vs_cpython_client_on_node_server: ratio("node/node", "node/python"),
    pairs: PAIRS, reps: REPS, loadavg: loadavg().map((x) => Number(x.toFixed(2))), python,
  }) + "\n");
}
