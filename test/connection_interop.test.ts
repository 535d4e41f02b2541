// Listener/Client against real CPython on loopback: Node Client ⇄ Python Listener and Python
// Client ⇄ Node Listener, AF_INET and AF_UNIX, with and without an authkey, a wrong key refused
// on both sides, and messages up to tens of MiB, for each python3.X on the machine.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mp from "multiprocessing-ts";
import { Client, Listener, type Address } from "multiprocessing-ts/connection";
import { PyFloat, float, tuple } from "multiprocessing-ts/py";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { Peer, pythons } from "./helpers/python_peer.js";

const dir = mkdtempSync(join(tmpdir(), "mpts-interop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const peers: Peer[] = [];
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
  for (const p of peers.splice(0)) p.kill();
});
let n = 0;

function start(cmd: string, args: string[]): Peer {
  const p = new Peer(cmd, args);
  peers.push(p);
  return p;
}
function track<T extends { close(): void }>(x: T): T {
  opened.push(x);
  return x;
}
const pattern = (len: number) => {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = i & 255;
  return b;
};
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Node connects to a CPython Listener. */
async function nodeClient(cmd: string, family: string, key: string | null) {
  const where = family === "AF_INET" ? "inet" : join(dir, `py-${n++}`);
  const py = start(cmd, ["server", where, key ?? "-"]);
  const [tag, addr] = (await py.line()).split(" ");
  expect(tag).toBe("LISTENING");
  const address: Address = family === "AF_INET" ? ["127.0.0.1", Number(addr)] : addr!;
  return { py, address };
}

/** A CPython Client connects to a Node Listener. */
function pythonClient(cmd: string, family: string, key: string | null, serverKey: string | null = key) {
  const l = track(new Listener(family === "AF_INET" ? ["127.0.0.1", 0] : join(dir, `node-${n++}`), { authkey: serverKey === null ? null : Buffer.from(serverKey) }));
  const a = l.address;
  const py = start(cmd, ["client", typeof a === "string" ? a : `inet:${a[1]}`, key ?? "-"]);
  return { py, l };
}

function exchange(c: mp.Connection) {
  for (const size of [0, 1, 100, 16384, 16385, 300_000]) {
    const m = pattern(size);
    c.send_bytes(Buffer.from("echo-bytes"));
    c.send_bytes(m);
    expect(c.recv_bytes().equals(m)).toBe(true);
  }
  // offsets of send_bytes, and recv_bytes_into at an offset
  c.send_bytes(Buffer.from("echo-bytes"));
  c.send_bytes(Buffer.from("0123456789"), 2, 5);
  const into = Buffer.alloc(8, 0x2e);
  expect(c.recv_bytes_into(into, 3)).toBe(5);
  expect(into.toString()).toBe("...23456");
  expect(c.poll(0)).toBe(false);
  c.send_bytes(Buffer.from("bye"));
  expect(c.poll(10)).toBe(true); // EOF is readable
  expect(() => c.recv_bytes()).toThrow(mp.py.EOFError);
}


/** Each value of API.md's value table: [what Node sends, Python's `type|repr` of it]. */
const values = (): [unknown, string][] => [
  [5, "int|5"],
  [-7, "int|-7"],
  [2n ** 70n, "int|1180591620717411303424"],
  [-(2n ** 64n), "int|-18446744073709551616"],
  [1.5, "float|1.5"],
  [float(2), "float|2.0"],
  [true, "bool|True"],
  [false, "bool|False"],
  [null, "NoneType|None"],
  ["héllo \u{1f389}", "str|'héllo \u{1f389}'"],
  ["", "str|''"],
  [Buffer.from("a\x00b"), "bytes|b'a\\x00b'"],
  [[1, "a", [null]], "list|[1, 'a', [None]]"],
  [tuple(1, "a"), "tuple|(1, 'a')"],
  [tuple(), "tuple|()"],
  [{ a: 1, b: [2] }, "dict|{'a': 1, 'b': [2]}"],
  [new Map<unknown, unknown>([[1, "x"], [tuple(2, 3), null]]), "dict|{1: 'x', (2, 3): None}"],
  [new Set([1, 2]), "set|{1, 2}"],
  [new mp.py.ValueError("bad"), "ValueError|ValueError('bad')"],
];

/** Type-exact: same JavaScript kind (tuple mark, Map, Set, Buffer, bigint, PyFloat) and equal. */
function sameKind(a: unknown, b: unknown): void {
  const kind = (v: unknown) =>
    v instanceof PyFloat ? "PyFloat" : Buffer.isBuffer(v) ? "Buffer" : v instanceof Map ? "Map" : v instanceof Set ? "Set" : Array.isArray(v) ? ((v as any)[Symbol.for("multiprocessing-ts.tuple")] ? "tuple" : "Array") : v instanceof Error ? v.constructor.name : v === null ? "null" : typeof v;
  expect(kind(b)).toBe(kind(a));
  if (a instanceof Error) expect([(b as Error).message, (b as any).args]).toEqual([a.message, (a as any).args]);
  else if (a instanceof PyFloat) expect(Number(b)).toBe(Number(a));
  else expect(b).toEqual(a);
  if (Array.isArray(a)) (a as unknown[]).forEach((x, i) => sameKind(x, (b as unknown[])[i]));
}

function roundTrips(c: mp.Connection) {
  for (const [v, pyText] of values()) {
    c.send_bytes(Buffer.from("echo-obj"));
    c.send(v);
    expect(c.recv_bytes().toString()).toBe(pyText);
    sameKind(v, c.recv());
  }
  // Values made by CPython itself.
  const made: [string, unknown][] = [
    ["(1, 2.0, 'x')", tuple(1, float(2), "x")],
    ["{1: {2, 3}, 'k': b'\\xff'}", new Map<unknown, unknown>([[1, new Set([2, 3])], ["k", Buffer.from([255])]])],
    ["2**100", 2n ** 100n],
    ["[None, True, -0.5]", [null, true, -0.5]],
    ["KeyError('k')", new mp.py.KeyError("k")],
  ];
  for (const [expr, v] of made) {
    c.send_bytes(Buffer.from("eval-obj"));
    c.send_bytes(Buffer.from(expr));
    sameKind(v, c.recv());
  }
  c.send_bytes(Buffer.from("bye"));
}


const examples = fileURLToPath(new URL("../examples/connection/", import.meta.url));
type Run = { code: number | null; stdout: string; stderr: string };
function run(cmd: string, args: string[], port: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd: examples, env: { ...process.env, MP_EXAMPLE_PORT: String(port) }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
    );
    children.push(child);
  });
}
const children: { kill(): boolean }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});
const tsx = (file: string): [string, string[]] => [process.execPath, ["--import", "tsx", file]];

/** Runs the docs' server and client examples against each other; returns [server, client] output. */
async function docsExample(server: [string, string[]], client: [string, string[]], port: number): Promise<[string, string]> {
  const srv = run(server[0], server[1], port);
  for (let i = 0; ; i++) {
    const c = await run(client[0], client[1], port);
    if (c.code === 0) {
      const s = await srv;
      expect(s.code).toBe(0);
      return [s.stdout.replace(/, \d+\)/, ", PORT)"), c.stdout];
    }
    // The server may not be listening yet (tsx and CPython start slowly on a busy machine).
    if (!/ConnectionRefusedError/.test(c.stderr) || i > 100) throw new Error(c.stderr);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const { version, cmd } of pythons()) {
  describe.skipIf(cmd === null)(`CPython ${version} on loopback`, () => {
    for (const family of ["AF_INET", "AF_UNIX"]) {
      for (const key of [null, "secret key"]) {
        const how = `${family}, ${key ? "with" : "without"} an authkey`;
        test(`a Node Client exchanges bytes with a Python Listener (${how})`, async () => {
          const { py, address } = await nodeClient(cmd!, family, key);
          const c = track(Client(address, { authkey: key === null ? null : Buffer.from(key) }));
          exchange(c);
          c.close();
          expect(await py.line()).toBe("ACCEPTED");
          expect(await py.line()).toBe("DONE");
          expect(await py.exited).toBe(0);
        });
        test(`a Python Client exchanges bytes with a Node Listener (${how})`, async () => {
          const { py, l } = pythonClient(cmd!, family, key);
          const c = track(l.accept());
          exchange(c);
          c.close();
          expect(await py.line()).toBe("CONNECTED");
          expect(await py.line()).toBe("DONE");
          expect(await py.exited).toBe(0);
          if (family === "AF_INET") expect((l.last_accepted as [string, number])[0]).toBe("127.0.0.1");
          else expect(l.last_accepted).toBe("");
        });
      }
    }

    test("a Node Client with the wrong key is refused by a Python Listener, and the reverse", async () => {
      const { py, address } = await nodeClient(cmd!, "AF_INET", "right");
      expect(() => Client(address, { authkey: Buffer.from("wrong") })).toThrow(new mp.AuthenticationError("digest sent was rejected"));
      expect(await py.line()).toBe("AuthenticationError: digest received was wrong"); // in accept()
      expect(await py.exited).toBe(0);

      const { py: py2, l } = pythonClient(cmd!, "AF_INET", "wrong", "right");
      expect(() => l.accept()).toThrow(new mp.AuthenticationError("digest received was wrong"));
      expect(await py2.line()).toBe("AuthenticationError: digest sent was rejected");
      expect(await py2.exited).toBe(0);
    });

    test("every type of the value table round-trips type-exact through pickle, both roles", async () => {
      const { py, address } = await nodeClient(cmd!, "AF_INET", "k");
      const c = track(Client(address, { authkey: Buffer.from("k") }));
      roundTrips(c);
      c.close();
      expect(await py.exited).toBe(0);
      const { py: py2, l } = pythonClient(cmd!, "AF_UNIX", null);
      const s = track(l.accept());
      roundTrips(s);
      s.close();
      expect(await py2.exited).toBe(0);
    });

    test("the Listener/Client examples of Python's docs run TypeScript against Python, both ways", async () => {
      const base = 20000 + Math.floor(Math.random() * 20000);
      const expected = await docsExample([cmd!, ["server.py"]], [cmd!, ["client.py"]], base);
      expect(expected[0]).toBe("connection accepted from ('127.0.0.1', PORT)\n");
      expect(await docsExample([cmd!, ["server.py"]], tsx("client.ts"), base + 1)).toEqual(expected);
      expect(await docsExample(tsx("server.ts"), [cmd!, ["client.py"]], base + 2)).toEqual(expected);
      expect(await docsExample(tsx("server.ts"), tsx("client.ts"), base + 3)).toEqual(expected);
    }, 90_000);

    test("a 32 MiB message crosses both ways intact", async () => {
      const { py, address } = await nodeClient(cmd!, "AF_INET", null);
      const c = track(Client(address));
      const big = pattern(32 << 20);
      c.send_bytes(Buffer.from("sha-bytes"));
      c.send_bytes(big);
      expect(c.recv_bytes().toString()).toBe(`${big.length} ${sha(big)}`);
      c.send_bytes(Buffer.from("make-bytes"));
      c.send_bytes(Buffer.from(String(big.length)));
      expect(c.recv_bytes().equals(big)).toBe(true);
      c.close();
      await py.exited;
    }, 30_000);
  });
}
