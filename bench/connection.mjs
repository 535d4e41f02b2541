// Listener/Client benchmark: send+recv round trips over AF_INET loopback of a small object
// (send/recv, pickled) and of 1 MiB of bytes (send_bytes/recv_bytes), a client against an echo
// server in another OS process (which sends each frame back as it came), for three pairings:
// Node client ⇄ Node server, Node client ⇄ CPython server, and CPython ⇄ CPython
// (bench/python/connection_bench.py), in the same run. Every pairing connects with an authkey
// (the handshake is not timed), so two Node ends use the library's codec for send()/recv() as
// they negotiate it (--no-authkey: pickle everywhere, as without one).
// Beside them, the raw Node floor (impl "raw-node"): the same frames (4-byte length + a payload of
// the small object's size, or 1 MiB) between two Node OS processes over a plain net socket with
// Nagle off, awaited on the event loop, no library and no codec: what any Node program pays.
// Prints one JSON object per line (name, value = median, unit, min, max, n, impl), then a summary
// {"connection_ratios": {...}, "connection_cpu_ratios": {...}, "connection_raw_node_ratios": {...}}: ours (Node⇄Node) / CPython⇄CPython
// of the wall time and of the CPU time both processes spent, below 1 is faster.
// Usage: node bench/connection.mjs [--reps N] [--scale F] [--no-python] [--no-authkey]   (run `npm run build` first)
//        node bench/connection.mjs --huge   one 2 GiB + 16 bytes message to CPython, sha256-checked
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Client, Listener } from "../dist/connection.js";
import { tuple } from "../dist/py.js";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const self = fileURLToPath(import.meta.url);
const authkey = args.includes("--no-authkey") ? null : Buffer.from("bench key");
const keyArgs = authkey ? [] : ["--no-authkey"];
const pyBench = fileURLToPath(new URL("./python/connection_bench.py", import.meta.url));

if (args.includes("--echo-server")) {
  const l = new Listener(["127.0.0.1", 0], { authkey });
  process.stdout.write(`${l.address[1]}\n`);
  const c = l.accept();
  try {
    for (;;) c.send_bytes(c.recv_bytes());
  } catch {
    // EOF: the client is done
  }
  c.close();
  l.close();
  process.exit(0);
}

if (args.includes("--raw-echo-server")) {
  // The raw floor's server: every byte straight back as it comes.
  const { createServer } = await import("node:net");
  const srv = createServer((sock) => {
    sock.setNoDelay(true);
    sock.on("data", (d) => sock.write(d));
    sock.on("end", () => {
      sock.end();
      srv.close();
    });
  });
  srv.listen(0, "127.0.0.1", () => process.stdout.write(`${srv.address().port}\n`));
  await new Promise((res) => srv.on("close", res));
  process.exit(0);
}

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

/** Starts an echo server (a command printing its port) and returns [port, child]. */
async function echoServer(cmd, argv) {
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((res, rej) => {
    child.stdout.once("data", (d) => res(Number(String(d).trim())));
    child.once("exit", (code) => rej(new Error(`echo server exited with ${code}`)));
  });
  return [port, child];
}

/** CPU time (user + system, ms) an OS process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuMsOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

// Besides the wall time, each row has cpu: the CPU time both processes (client and echo server)
// spent per operation, in the row's unit. On a loaded machine the wall time mostly measures the
// other loads; the CPU time much less so.
function measure(name, impl, n, unit, factor, once, serverPid) {
  for (let i = 0; i < Math.min(n, 50); i++) once();
  const samples = [];
  const cpu = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const s0 = cpuMsOf(serverPid);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) once();
    samples.push(((performance.now() - t0) / 1000 / n) * factor);
    const cu = process.cpuUsage(c0);
    cpu.push((((cu.user + cu.system) / 1e6 + (cpuMsOf(serverPid) - s0) / 1000) / n) * factor);
  }
  const row = { name, value: round(median(samples)), unit, min: round(Math.min(...samples)), max: round(Math.max(...samples)), n: REPS, impl, cpu: round(median(cpu)) };
  process.stdout.write(JSON.stringify(row) + "\n");
  return row;
}

async function pairing(impl, cmd, argv) {
  const [port, child] = await echoServer(cmd, argv);
  const c = Client(["127.0.0.1", port], { authkey });
  const rows = [
    measure("connection_small_roundtrip", impl, Math.max(1, Math.floor(2000 * SCALE)), "us", 1e6, () => {
      c.send(SMALL);
      c.recv();
    }, child.pid),
    measure("connection_1mib_roundtrip", impl, Math.max(1, Math.floor(100 * SCALE)), "ms", 1e3, () => {
      c.send_bytes(BIG);
      c.recv_bytes();
    }, child.pid),
  ];
  c.close();
  await new Promise((res) => (child.exitCode !== null ? res() : child.once("exit", res)));
  return rows;
}

/**
 * The raw Node floor: round trips of `size`-byte frames (plus the 4-byte length) over a plain
 * socket to the raw echo server, each awaited on the event loop; one row as measure() gives.
 */
async function rawRoundTrips(name, n, size, unit, factor) {
  const { connect } = await import("node:net");
  const [port, child] = await echoServer(process.execPath, [self, "--raw-echo-server"]);
  const sock = connect(port, "127.0.0.1");
  sock.setNoDelay(true);
  await new Promise((res) => sock.once("connect", res));
  const frame = Buffer.alloc(4 + size, 7);
  frame.writeInt32BE(size, 0);
  let want = 0;
  let wake = null;
  sock.on("data", (d) => {
    want -= d.length;
    if (want <= 0 && wake) wake();
  });
  const once = () =>
    new Promise((res) => {
      want = frame.length;
      wake = res;
      sock.write(frame);
    });
  for (let i = 0; i < Math.min(n, 50); i++) await once();
  const samples = [];
  const cpu = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const s0 = cpuMsOf(child.pid);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await once();
    samples.push(((performance.now() - t0) / 1000 / n) * factor);
    const cu = process.cpuUsage(c0);
    cpu.push((((cu.user + cu.system) / 1e6 + (cpuMsOf(child.pid) - s0) / 1000) / n) * factor);
  }
  sock.end();
  await new Promise((res) => (child.exitCode !== null ? res() : child.once("exit", res)));
  const row = { name, value: round(median(samples)), unit, min: round(Math.min(...samples)), max: round(Math.max(...samples)), n: REPS, impl: "raw-node", cpu: round(median(cpu)) };
  process.stdout.write(JSON.stringify(row) + "\n");
  return row;
}

if (args.includes("--huge")) {
  // One message over 2 GiB - 1 bytes (CPython's 8-byte length form), Node -> CPython, checked by
  // its sha256. Needs ~7 GB of memory and about a minute: not part of the default run.
  const { createHash } = await import("node:crypto");
  const n = 2 ** 31 + 16;
  const big = Buffer.alloc(n, 0x5a);
  const h = createHash("sha256");
  for (let i = 0; i < n; i += 2 ** 30) h.update(big.subarray(i, i + 2 ** 30)); // update() takes < 2 GiB
  const want = `${n} ${h.digest("hex")}`;
  const [port, child] = await echoServer("python3", [pyBench, "--sha-server"]);
  const c = Client(["127.0.0.1", port]);
  const t0 = performance.now();
  c.send_bytes(big);
  const got = c.recv_bytes().toString();
  const s = (performance.now() - t0) / 1000;
  c.close();
  await new Promise((res) => (child.exitCode !== null ? res() : child.once("exit", res)));
  process.stdout.write(JSON.stringify({ name: "connection_huge_to_cpython", value: round(s), unit: "s", bytes: n, ok: got === want, impl: "node-cpython" }) + "\n");
  process.exit(got === want ? 0 : 1);
}

const ours = await pairing("node-node", process.execPath, [self, "--echo-server", ...keyArgs]);
const { serialize } = await import("node:v8");
const raw = [
  await rawRoundTrips("connection_small_roundtrip", Math.max(1, Math.floor(2000 * SCALE)), serialize(SMALL).length, "us", 1e6),
  await rawRoundTrips("connection_1mib_roundtrip", Math.max(1, Math.floor(100 * SCALE)), BIG.length, "ms", 1e3),
];
const ratios = {};
const cpuRatios = {};
const rawRatios = {};
if (!args.includes("--no-python")) {
  const hasPython = spawnSync("python3", ["--version"]).status === 0;
  if (hasPython) {
    await pairing("node-cpython", "python3", [pyBench, "--echo-server", ...keyArgs]);
    const r = spawnSync("python3", [pyBench, "--reps", String(REPS), "--scale", String(SCALE), ...keyArgs], { encoding: "utf8" });
    if (r.status === 0) {
      for (const line of r.stdout.trim().split("\n")) {
        const row = { ...JSON.parse(line), impl: "cpython-cpython" };
        process.stdout.write(JSON.stringify(row) + "\n");
        const mine = ours.find((o) => o.name === row.name);
        if (mine) ratios[row.name] = round(mine.value / row.value);
        const floor = raw.find((o) => o.name === row.name);
        if (floor) rawRatios[row.name] = round(floor.value / row.value);
        if (mine && mine.cpu > 0 && row.cpu > 0) cpuRatios[row.name] = round(mine.cpu / row.cpu);
      }
    } else process.stderr.write(`python3 bench failed: ${r.stderr}\n`);
  } else process.stderr.write("python3 not found: CPython pairings skipped\n");
}
// connection_raw_node_ratios: the raw Node floor / CPython⇄CPython (below 1: bare Node is faster).
process.stdout.write(JSON.stringify({ connection_ratios: ratios, connection_cpu_ratios: cpuRatios, connection_raw_node_ratios: rawRatios }) + "\n");
