// Many clients on one manager served on a socket: 8 processes, Node and CPython mixed (2 + 2
// producers, 2 + 2 consumers), hammer one served queue and dict; nothing is lost or duplicated
// and each producer's order is kept for every consumer. Clients killed in the middle of a call
// (a CPython process and a Node process blocked in Event.wait()) leave the server and the
// others working. The Node clients are processes of this tree that reach the server through
// its socket ("localhost" is not the spelling the server was started with, so no ring alias).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { afterEach, describe, expect, test } from "vitest";
import { RemoteManager, consume, hang, produce } from "./fixtures/remote_manager_targets.js";
import { track } from "./helpers/processes.js";
import { python3With } from "./helpers/python_peer.js";

const script = fileURLToPath(new URL("./fixtures/remote_manager_peer.py", import.meta.url));
const python = python3With("multiprocessing.managers");

const children: ChildProcess[] = [];
const managers: any[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const m of managers.splice(0)) if (m._state.value === 1) m.shutdown();
});

/** Runs the python peer; resolves with its stdout lines once it exits (rejects after `ms`). */
function py(args: string[], onLine?: (l: string) => void, ms = 150_000): { child: ChildProcess; done: Promise<string[]> } {
  const child = spawn(python!, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    if (onLine) for (const l of d.split("\n")) if (l) onLine(l);
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const done = new Promise<string[]>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`python ${args[0]} did not finish in ${ms} ms: ${err}`)), ms);
    child.on("exit", (code, signal) => {
      clearTimeout(t);
      if (code === 0) res(out.split("\n").filter(Boolean));
      else if (signal === "SIGKILL") res([]);
      else rej(new Error(`python ${args[0]} exited with ${code}: ${err}`));
    });
  });
  return { child, done };
}

const N = 80;

describe.skipIf(!python)("many clients on a socket-served manager", () => {
  test("8 Node and CPython processes hammer one queue and dict: nothing lost or duplicated, per-producer order kept; killed clients harm no one", async () => {
    const authkey = Buffer.from(randomBytes(12).toString("hex"));
    const key = authkey.toString();
    const m: any = new RemoteManager({ address: ["127.0.0.1", 0], authkey });
    m.start();
    managers.push(m);
    const port = m.address[1];
    const viaSocket: [string, number] = ["localhost", port];

    // Clients killed in the middle of a call: one CPython, one Node.
    let pyReady!: () => void;
    const pyReadyP = new Promise<void>((r) => (pyReady = r));
    const victim = py(["hang", String(port), key], (l) => l.includes("ready") && pyReady());
    const ready = new mp.Event();
    const nodeVictim = track(new mp.Process({ target: hang, args: [viaSocket, authkey, ready] }));
    nodeVictim.start();

    const consumersPy = ["pc0", "pc1"].map((id) => py(["consumer", String(port), key, id]));
    const consumersNode = ["nc0", "nc1"].map((id) => track(new mp.Process({ target: consume, args: [viaSocket, authkey, id] })));
    for (const p of consumersNode) p.start();

    await pyReadyP;
    expect(ready.wait(30)).toBe(true);
    victim.child.kill("SIGKILL");
    nodeVictim.terminate();
    nodeVictim.join(10);

    const producersPy = ["pp0", "pp1"].map((id) => py(["producer", String(port), key, id, String(N)]));
    const producersNode = ["np0", "np1"].map((id) => track(new mp.Process({ target: produce, args: [viaSocket, authkey, id, N] })));
    for (const p of producersNode) p.start();
    await Promise.all(producersPy.map((p) => p.done));
    for (const p of producersNode) {
      p.join(150);
      expect(p.exitcode).toBe(0);
    }
    const q = m.get_queue();
    for (let i = 0; i < 4; i++) q.put(null);
    const consumed: [string, number][][] = [];
    for (const c of consumersPy) consumed.push(JSON.parse((await c.done).at(-1)!)[2]);
    for (const p of consumersNode) {
      p.join(150);
      expect(p.exitcode).toBe(0);
    }
    const d = m.get_dict();
    consumed.push(d.__getitem__("consumed-nc0"), d.__getitem__("consumed-nc1"));

    const all = consumed.flat().map(([id, i]) => `${id}-${i}`);
    const expected = ["pp0", "pp1", "np0", "np1"].flatMap((id) => Array.from({ length: N }, (_, i) => `${id}-${i}`));
    expect(all.length).toBe(expected.length);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...expected].sort());
    for (const items of consumed) {
      const last = new Map<string, number>();
      for (const [id, i] of items) {
        expect(i).toBeGreaterThan(last.get(id) ?? -1);
        last.set(id, i);
      }
    }
    // Every producer's dict entries, plus the two Node consumers' results.
    expect(d.__len__()).toBe(4 * N + 2);
    expect(d.__getitem__("pp1-7")).toBe(7);
    expect(d.__getitem__("np0-" + (N - 1))).toBe(N - 1);
    // The server still serves new clients after the kills.
    expect(q.qsize()).toBe(0);
    q._close();
    d._close();
  }, 180_000);
});
