// Managers on a socket against real CPython on loopback: a Node client drives a Python manager
// (queue.Queue and a dict), Python clients drive a Node-served SyncManager (Queue, dict, list,
// a registered class, errors), blocking get() from several clients at once both ways, a wrong
// authkey refused both ways, and serializer='xmlrpclib' both ways. Skipped without python3.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import mp from "multiprocessing-ts";
import { repr, tuple } from "multiprocessing-ts/py";
import { BaseManager, DictProxy, SyncManager } from "multiprocessing-ts/managers";
import { afterEach, describe, expect, test } from "vitest";
import { Client } from "multiprocessing-ts/connection";
import { dumps, loads } from "../dist/shared/pickle.js";
import { RemoteManager, getOne, putThrough, serveForever } from "./fixtures/remote_manager_targets.js";
import { track } from "./helpers/processes.js";
import { python3With } from "./helpers/python_peer.js";

const script = fileURLToPath(new URL("./fixtures/remote_manager_peer.py", import.meta.url));
const python = python3With("multiprocessing.managers");

/** CPython 3.12 and 3.13 when installed (as python3.X, or in pyenv's versions), for the main interop tests. */
const others = ["3.12", "3.13"].flatMap((v) => {
  const candidates = [`python${v}`];
  const root = process.env.PYENV_ROOT ?? `${homedir()}/.pyenv`;
  try {
    for (const d of readdirSync(`${root}/versions`)) if (d.startsWith(v + ".")) candidates.push(`${root}/versions/${d}/bin/python3`);
  } catch {
    // no pyenv
  }
  for (const cmd of candidates) {
    try {
      if (cmd.includes("/") && !existsSync(cmd)) continue;
      const got = execFileSync(cmd, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      if (got === v) return [{ version: v, cmd }];
    } catch {
      // not this one
    }
  }
  return [];
});

/** A python3 process running remote_manager_peer.py, read line by line. */
class Py {
  readonly child: ChildProcess;
  #lines: string[] = [];
  #waiters: ((l: string) => void)[] = [];
  #buf = "";
  stderr = "";
  constructor(args: string[], cmd = python!) {
    this.child = spawn(cmd, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      this.#buf += d;
      for (let i; (i = this.#buf.indexOf("\n")) >= 0; ) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        const w = this.#waiters.shift();
        if (w) w(line);
        else this.#lines.push(line);
      }
    });
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
  }
  line(ms = 20_000): Promise<string> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no line from python in ${ms} ms; stderr: ${this.stderr}`)), ms);
      this.#waiters.push((x) => {
        clearTimeout(t);
        res(x);
      });
    });
  }
  async json(ms?: number): Promise<any> {
    return JSON.parse(await this.line(ms));
  }
  exited(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((res) => this.child.on("exit", (c) => res(c)));
  }
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

const pys: Py[] = [];
const managers: { shutdown(): void; _state: { value: number } }[] = [];
afterEach(() => {
  for (const p of pys.splice(0)) p.kill();
  for (const m of managers.splice(0)) if (m._state.value === 1) m.shutdown();
});
function py(...args: string[]): Py {
  return pyWith(python!, ...args);
}
function pyWith(cmd: string, ...args: string[]): Py {
  const p = new Py(args, cmd);
  pys.push(p);
  return p;
}

/** A Python manager serving get_queue and get_dict: its port. */
async function pythonServer(authkey: string, serializer = "pickle", cmd = python!): Promise<number> {
  const p = pyWith(cmd, "serve", authkey, serializer);
  const [tag, port] = (await p.line()).split(" ");
  expect(tag).toBe("PORT");
  return Number(port);
}

class QueueManager extends BaseManager {}
QueueManager.register("get_queue");
QueueManager.register("get_dict", null, { proxytype: DictProxy });

/** A Node-served RemoteManager on a free loopback port. */
function nodeServer(authkey: Uint8Array, serializer: "pickle" | "xmlrpclib" = "pickle"): any {
  const m: any = new RemoteManager({ address: ["127.0.0.1", 0], authkey, serializer });
  m.start();
  managers.push(m);
  return m;
}

describe.skipIf(!python)("managers on a socket, with CPython", () => {
  test("a Node client drives a Python manager's queue.Queue and dict, errors included", async () => {
    const port = await pythonServer("secret");
    const m: any = new QueueManager({ address: ["127.0.0.1", port], authkey: Buffer.from("secret") });
    m.connect();
    expect(m.address).toEqual(["127.0.0.1", port]);
    const q = m.get_queue();
    q.put("hello");
    q.put(tuple(1, "two", null));
    expect(q.get()).toBe("hello");
    expect(q.get()).toEqual([1, "two", null]);
    expect(q.qsize()).toBe(0);
    expect(() => q.get(false)).toThrow(mp.Empty);
    expect(await q.put_async(7)).toBe(null);
    expect(await q.get_async()).toBe(7);
    // Two blocking gets in flight from this thread at once (each on a connection of its own).
    const both = Promise.all([q.get_async(), q.get_async()]);
    await new Promise((r) => setTimeout(r, 100));
    q.put("x");
    q.put("y");
    expect((await both).sort()).toEqual(["x", "y"]);
    const d = m.get_dict();
    d.__setitem__("a", [1, 2]);
    d.update({ b: 3 });
    expect(d.__getitem__("a")).toEqual([1, 2]);
    expect(d.keys().sort()).toEqual(["a", "b"]);
    expect(String(d)).toBe("{'a': [1, 2], 'b': 3}");
    expect(() => d.__getitem__("zz")).toThrow(expect.objectContaining({ name: "KeyError" }));
    expect(() => q._callmethod("nothere")).toThrow(mp.RemoteError);
    d._close();
    q._close();
  });

  test("Python clients drive a Node-served SyncManager: Queue, dict, list, a registered class and its errors", async () => {
    const m = nodeServer(Buffer.from("k3y"));
    const c = py("client", String(m.address[1]), "k3y", "pickle");
    expect(await c.json()).toEqual(["queue", "(1, 'a', 2.5, None, [True, False], {'k': 'v'})", 0, true]);
    expect(await c.json()).toEqual(["empty", "_queue.Empty"]);
    expect(await c.json()).toEqual(["dict", [1, 2], ["x", "y"], 2, true]);
    expect(await c.json()).toEqual(["keyerror", "KeyError('nope')"]);
    expect(await c.json()).toEqual(["counter", 11, 16, 16]);
    expect(await c.json()).toEqual(["valueerror", "bad value"]);
    expect(await c.json()).toEqual(["list", [1, 2], 6, 5]);
    // array.array slices travel as CPython's arrays (ours pickle as array.array(typecode, [items])).
    expect(await c.json()).toEqual(["array", "array('d', [0.5, 2.0])", "array('u', 'a')", "array('q', [1152921504606846976, -5])", 2.0]);
    expect(await c.json()).toEqual(["remote", "RemoteError"]);
    expect(await c.exited()).toBe(0);
  });

  test("several Python clients block in get() on a Node-served queue at once; each gets one item", async () => {
    const key = randomBytes(16).toString("hex");
    const m = nodeServer(Buffer.from(key));
    const getters = [0, 1, 2].map(() => py("getter", String(m.address[1]), key));
    for (const g of getters) expect(await g.json()).toBe("ready");
    // Let each reach its get() (they print before calling it).
    await new Promise((r) => setTimeout(r, 300));
    const q = m.get_queue();
    for (const x of ["a", "b", "c"]) q.put(x);
    const got = await Promise.all(getters.map((g) => g.json()));
    expect(got.map((x: any) => x[1]).sort()).toEqual(["a", "b", "c"]);
    q._close();
  });

  test("a CPython client on the socket is served promptly while this thread keeps the server busy through shared memory", async () => {
    const key = randomBytes(16).toString("hex");
    const m = nodeServer(Buffer.from(key));
    const counter = m.Counter(0);
    const c = py("pairs", String(m.address[1]), key, "200");
    // Counter calls go through the rings: the server thread is never idle meanwhile. (Python
    // starts, connects and makes its pairs within these 3 s; its line waits in the pipe.)
    let made = 0;
    for (const t0 = Date.now(); Date.now() - t0 < 3000; ) for (let i = 0; i < 50; i++) made = counter.inc();
    const [tag, seconds] = await c.json();
    expect(tag).toBe("pairs");
    expect(made).toBeGreaterThan(1000);
    // The server loop turns its event loop (which serves sockets) every 0.1 ms while socket
    // clients call, not every 2 ms: these 400 calls took about 1 s before, about 0.15 s now.
    expect(seconds).toBeLessThan(0.6);
    counter._close();
  });

  test("several Node client processes block in get() on a Python-served queue at once", async () => {
    const port = await pythonServer("pw");
    const out = new mp.Queue();
    const ps = [0, 1, 2].map(() => track(new mp.Process({ target: getOne, args: [["127.0.0.1", port], Buffer.from("pw"), out] })));
    for (const p of ps) p.start();
    await new Promise((r) => setTimeout(r, 500));
    const m: any = new QueueManager({ address: ["127.0.0.1", port], authkey: Buffer.from("pw") });
    m.connect();
    const q = m.get_queue();
    for (const x of [1, 2, 3]) q.put(x);
    const got = [out.get(true, 20), out.get(true, 20), out.get(true, 20)];
    expect(got.sort()).toEqual([1, 2, 3]);
    for (const p of ps) p.join(10);
    expect(ps.map((p) => p.exitcode)).toEqual([0, 0, 0]);
    out.close();
    q._close();
  });

  test("proxies inside values travel as CPython's RebuildProxy, both ways (a dict holding a list proxy, a queue carrying one)", async () => {
    const m = nodeServer(Buffer.from("nest"));
    const c = py("nested", String(m.address[1]), "nest");
    expect(await c.json()).toEqual(["nested", "ListProxy", [1, 2, 3], [1, 2, 3]]);
    expect(await c.json()).toEqual(["queued", [1, 2, 3]]);

    const p = py("servesync", "nest");
    const [, port] = (await p.line()).split(" ");
    const s: any = new SyncManager({ address: ["127.0.0.1", Number(port)], authkey: Buffer.from("nest") });
    s.connect();
    const d = s.dict();
    const l = s.list([1, 2]);
    d.__setitem__("l", l);
    const inner = d.__getitem__("l");
    inner.append(3);
    expect(inner.constructor.name).toBe("ListProxy");
    expect(l._getvalue()).toEqual([1, 2, 3]);
    const q = s.Queue();
    q.put(l);
    expect(q.get()._getvalue()).toEqual([1, 2, 3]);
    for (const x of [d, l, inner, q]) x._close();
  });

  test("a Node client drives a CPython SyncManager: list iteration, dict, Namespace, Value, Array, RLock, Event, Barrier, Condition", async () => {
    const p = py("servesync", "sync");
    const [, port] = (await p.line()).split(" ");
    const m: any = new SyncManager({ address: ["127.0.0.1", Number(port)], authkey: Buffer.from("sync") });
    m.connect();
    const l = m.list([1, 2, 3]);
    expect([...l]).toEqual([1, 2, 3]);
    const d = m.dict(new Map([["a", 1], ["b", 2]]));
    expect(d.items()).toEqual([["a", 1], ["b", 2]]);
    const ns = m.Namespace({ x: 1 });
    ns.y = 2;
    expect([ns.x, ns.y, String(ns)]).toEqual([1, 2, "Namespace(x=1, y=2)"]);
    const v = m.Value("i", 5);
    v.value = v.value + 1;
    expect(v.value).toBe(6);
    const a = m.Array("i", [1, 2, 3]);
    expect([a.__getitem__(1), a.__len__()]).toEqual([2, 3]);
    // CPython's arrays arrive as array.array(typecode, bytes) or array._array_reconstructor(...).
    expect(repr(a.slice(0, 2))).toBe("array('i', [1, 2])");
    expect(repr(m.Array("u", ["a", "é"]).slice())).toBe("array('u', 'aé')");
    expect(repr(m.Array("d", [0.5, 2]).slice())).toBe("array('d', [0.5, 2.0])");
    expect(repr(m.Array("q", [2n ** 60n, -5]).slice())).toBe("array('q', [1152921504606846976, -5])");
    const lk = m.RLock();
    expect([lk.acquire(), lk.acquire(), lk.release(), lk.release()]).toEqual([true, true, null, null]);
    expect(() => lk.release()).toThrow(expect.objectContaining({ name: "RuntimeError" }));
    const ev = m.Event();
    expect(ev.wait(0.05)).toBe(false);
    ev.set();
    expect(await ev.wait_async(1)).toBe(true);
    expect(m.Barrier(1).wait()).toBe(0);
    const c = m.Condition();
    expect([c.acquire(), c.notify_all(), c.release()]).toEqual([true, null, null]);
  });

  test("a wrong authkey is refused both ways (AuthenticationError)", async () => {
    const port = await pythonServer("right");
    const bad: any = new QueueManager({ address: ["127.0.0.1", port], authkey: Buffer.from("wrong") });
    expect(() => bad.connect()).toThrow(mp.AuthenticationError);
    const m = nodeServer(Buffer.from("right"));
    const c = py("badkey", String(m.address[1]), "wrong");
    expect(await c.json()).toEqual(["refused", "AuthenticationError", "digest sent was rejected"]);
    // The server still serves the right key afterwards.
    const ok: any = new QueueManager({ address: ["127.0.0.1", port], authkey: Buffer.from("right") });
    ok.connect();
    ok.get_queue().put(1);
  });

  test("serializer 'xmlrpclib' works both ways for plain data; errors lose their class as in CPython", async () => {
    const port = await pythonServer("x", "xmlrpclib");
    const m: any = new QueueManager({ address: ["127.0.0.1", port], authkey: Buffer.from("x"), serializer: "xmlrpclib" });
    m.connect();
    const q = m.get_queue();
    q.put(tuple(1, "a", null, { k: [2.5] }));
    // XML-RPC has no tuple: it comes back a list.
    expect(q.get()).toEqual([1, "a", null, { k: [2.5] }]);
    // CPython marshals queue.Empty as the struct of its __dict__: the client cannot raise it.
    expect(() => q.get(false)).toThrow(/exceptions must derive from BaseException/);
    expect(() => q.put(2 ** 40)).toThrow(/int exceeds XML-RPC limits/);

    const n = nodeServer(Buffer.from("y"), "xmlrpclib");
    const c = py("client", String(n.address[1]), "y", "xmlrpclib");
    expect(await c.json()).toEqual(["queue", "[1, 'a', 2.5, None, [True, False], {'k': 'v'}]", 0, true]);
    expect(await c.exited()).not.toBe(0); // q.get(timeout=...) raises TypeError: no class on the wire
    expect(c.stderr).toMatch(/exceptions must derive from BaseException/);
  });
});

describe("managers on a socket, Node to Node", () => {
  test("a child booted ahead of time reaches a manager started after it (after another was shut down), on a socket or on rings", async () => {
    // The child runs on a spare worker booted while the first manager was up: it adopts the
    // parent's current environment data (shared/envdata.ts) instead of its stale copy.
    const program = fileURLToPath(new URL("./fixtures/programs/manager_after_shutdown.mjs", import.meta.url));
    const runs = ["as", "s", "a"].map((mode) =>
      new Promise<string>((resolve) => {
        const c = spawn(process.execPath, [program, mode], { cwd: fileURLToPath(new URL("./fixtures/programs/", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        c.stdout!.on("data", (b) => (out += b));
        c.on("exit", () => resolve(out));
      }));
    expect(await Promise.all(runs)).toEqual(["as child got 1\nexit code 0\n", "s child got 1\nexit code 0\n", "a child got 1\nexit code 0\n"]);
  }, 60_000);

  test("an in-tree manager served on a socket: get_server().address, connect() from this thread, proxies with _async twins", async () => {
    const authkey = randomBytes(8);
    const m = nodeServer(authkey);
    const [host, port] = m.address;
    expect(host).toBe("127.0.0.1");
    expect(port).toBeGreaterThan(0);
    // "localhost" is another spelling of the address: this client goes through the socket.
    const c: any = new RemoteManager({ address: ["localhost", port], authkey });
    c.connect();
    const counter = c.Counter(1);
    expect(counter.inc(2)).toBe(3);
    expect(await counter.inc_async(4)).toBe(7);
    expect(() => counter.fail("no")).toThrow(expect.objectContaining({ name: "ValueError", message: "no" }));
    // A proxy pickles as CPython's RebuildProxy(...), which only a manager's messages may rebuild.
    const bytes = dumps(counter);
    expect(bytes.includes(Buffer.from("RebuildProxy"))).toBe(true);
    expect(() => loads(bytes)).toThrow(/RebuildProxy' is forbidden outside a manager's messages/);
    const n0 = m._number_of_objects();
    counter._close();
    expect(m._number_of_objects()).toBe(n0 - 1);
  });

  test("get_server().serve_forever() serves until a client's 'shutdown' request (CPython's wire, sent by hand)", () => {
    const authkey = randomBytes(8);
    const out = new mp.Queue();
    const p = track(new mp.Process({ target: serveForever, args: [authkey, out] }));
    p.start();
    const [host, port, hasListener] = out.get(true, 30);
    expect([host, hasListener]).toEqual(["127.0.0.1", true]);
    // serve_forever() binds the address again in the server process: retry briefly.
    const c: any = new RemoteManager({ address: [host, port], authkey });
    for (let i = 0; ; i++) {
      try {
        c.connect();
        break;
      } catch (e: any) {
        // A connection accepted by the socket being handed over is reset (or ended mid-handshake).
        if (!["ConnectionRefusedError", "ConnectionResetError", "EOFError", "BrokenPipeError"].includes(e.name) || i > 100) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
    }
    const q = c.Queue();
    q.put("x");
    expect(q.get()).toBe("x");
    q._close();
    // BaseManager's public 'shutdown', as CPython's dispatch(conn, None, 'shutdown') sends it.
    const conn = Client([host, port], { authkey });
    conn.send(tuple(null, "shutdown", tuple(), {}));
    expect(conn.recv()).toEqual(["#RETURN", null]);
    conn.close();
    p.join(30);
    expect(p.exitcode).toBe(0);
    out.close();
  });

  test.skipIf(!python)("a proxy of a CPython manager passed to a child works there", async () => {
    const port = await pythonServer("pass");
    const m: any = new QueueManager({ address: ["127.0.0.1", port], authkey: Buffer.from("pass") });
    m.connect();
    const q = m.get_queue();
    const p = track(new mp.Process({ target: putThrough, args: [q, "from a child"] }));
    p.start();
    p.join(30);
    expect(p.exitcode).toBe(0);
    expect(q.get(true, 10)).toBe("from a child");
    q._close();
  });

  test("start() on an address in use raises OSError(EADDRINUSE)", () => {
    const m = nodeServer(randomBytes(8));
    const again: any = new RemoteManager({ address: ["127.0.0.1", m.address[1]], authkey: randomBytes(8) });
    expect(() => again.start()).toThrow(expect.objectContaining({ name: "OSError", errno: 98 }));
  });

  test("before authentication a message over 256 bytes closes the connection unread; the server goes on", async () => {
    const authkey = randomBytes(8);
    const m = nodeServer(authkey);
    const sock = connect({ host: "127.0.0.1", port: m.address[1] });
    const header = Buffer.alloc(4);
    header.writeInt32BE(1 << 30, 0); // announces 1 GiB
    const closed = new Promise<boolean>((res) => {
      sock.on("close", () => res(true));
      sock.on("error", () => {});
      setTimeout(() => res(false), 10_000);
    });
    // The server's challenge arrives first; the reply is the oversized header.
    sock.once("data", () => sock.write(header));
    expect(await closed).toBe(true);
    const c: any = new RemoteManager({ address: ["localhost", m.address[1]], authkey });
    c.connect();
    const q = c.Queue();
    q.put(1);
    expect(q.get()).toBe(1);
    q._close();
  });
});

for (const { version, cmd } of others) {
  describe(`managers on a socket, with CPython ${version}`, () => {
    test(`a Node client drives a CPython ${version} manager; CPython ${version} clients drive a Node one`, async () => {
      const port = await pythonServer("v", "pickle", cmd);
      const m: any = new QueueManager({ address: ["127.0.0.1", port], authkey: Buffer.from("v") });
      m.connect();
      const q = m.get_queue();
      q.put(tuple(1, "x"));
      expect(q.get()).toEqual([1, "x"]);
      expect(() => q.get(false)).toThrow(mp.Empty);
      q._close();
      const n = nodeServer(Buffer.from("k3y"));
      const c = pyWith(cmd, "client", String(n.address[1]), "k3y", "pickle");
      expect(await c.json()).toEqual(["queue", "(1, 'a', 2.5, None, [True, False], {'k': 'v'})", 0, true]);
      expect(await c.json()).toEqual(["empty", "_queue.Empty"]);
      expect(await c.json()).toEqual(["dict", [1, 2], ["x", "y"], 2, true]);
      expect(await c.json()).toEqual(["keyerror", "KeyError('nope')"]);
      expect(await c.json()).toEqual(["counter", 11, 16, 16]);
      expect(await c.exited()).toBe(0);
    });
  });
}
