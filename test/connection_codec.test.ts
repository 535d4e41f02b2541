// The codec negotiation of Listener/Client: two multiprocessing-ts ends that both offer it in the
// authkey handshake send plain data in the library's codec (everything else still as pickle),
// with the same meaning as pickle; a CPython peer never sees a difference and always gets pickle.
import { execFile } from "node:child_process";
import mp from "multiprocessing-ts";
import { Client, Listener } from "multiprocessing-ts/connection";
import { float, KeyError, tuple } from "multiprocessing-ts/py";
import { afterEach, describe, expect, test } from "vitest";
import { dumps, loads } from "../dist/shared/pickle.js";
import * as t from "./fixtures/connection_targets.js";
import { spawn } from "./helpers/processes.js";
import { pythons } from "./helpers/python_peer.js";

const opened: { close(): void }[] = [];
function track<T extends { close(): void }>(x: T): T {
  opened.push(x);
  return x;
}
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

const key = Buffer.from("codec key");

/** Accepts a child's codecEchoClient; returns the server end and whether each end chose the codec. */
function echoPair(listenerOpts: { fast_codec?: boolean; authkey?: Buffer | null }, clientOpts: { fast_codec?: boolean; authkey?: Buffer | null }) {
  const l = track(new Listener(["127.0.0.1", 0], listenerOpts));
  const q = mp.Queue();
  const p = spawn({ target: t.codecEchoClient, args: [l.address, clientOpts, q] });
  const s = track(l.accept());
  const clientCodec = q.get({ timeout: 30 });
  return { s, p, serverCodec: (s as any)._codec as boolean, clientCodec: clientCodec as boolean };
}

describe("the codec between two Node ends", () => {
  test("both ends with an authkey agree on it, and every value arrives as pickle would give it", () => {
    const { s, p, serverCodec, clientCodec } = echoPair({ authkey: key }, { authkey: key });
    expect([serverCodec, clientCodec]).toEqual([true, true]);
    const values: unknown[] = [
      { id: 1, name: "alice", tags: ["a", "b"], score: 1.5, ok: true, nested: { x: [1, 2], y: null } },
      tuple(3, 4), new Map<unknown, unknown>([[1, "one"], [tuple(2, 3), "pair"]]), new Set([1, "two"]), 2n ** 100n, -0, NaN, 1e20,
      Buffer.from([0, 1, 2]), [undefined, 1], { a: undefined }, float(2), [float(2), 1], new KeyError("k"), [new KeyError("k")],
      new Uint16Array([1, 2]), "é\u{1F600}", [[[[[[1]]]]]],
    ];
    try {
      for (const v of values) {
        s.send(v);
        const back = s.recv();
        // pickled twice: once by the sender, once more by the echoing child
        expect(back, mp.py.repr(v)).toEqual(loads(dumps(loads(dumps(v)))));
      }
      // Shared references stay shared, as pickle keeps them.
      const shared = { x: 1 };
      s.send([shared, shared]);
      const [a, b] = s.recv() as unknown[];
      expect(a).toBe(b);
    } finally {
      s.close();
      p.join(30);
    }
    expect(p.exitcode).toBe(0);
  });

  test("either end saying no (fast_codec: false) keeps pickle on both", () => {
    for (const [lo, co] of [[{ fast_codec: false }, {}], [{}, { fast_codec: false }]] as const) {
      const { s, p, serverCodec, clientCodec } = echoPair({ authkey: key, ...lo }, { authkey: key, ...co });
      expect([serverCodec, clientCodec]).toEqual([false, false]);
      s.send([1, undefined]);
      expect(s.recv()).toEqual([1, null]);
      s.close();
      p.join(30);
      expect(p.exitcode).toBe(0);
    }
  });

  test("without an authkey the ends use pickle (nothing is negotiated)", () => {
    const { s, p, serverCodec, clientCodec } = echoPair({}, {});
    expect([serverCodec, clientCodec]).toEqual([false, false]);
    s.send({ a: [1, 2] });
    expect(s.recv()).toEqual({ a: [1, 2] });
    s.close();
    p.join(30);
    expect(p.exitcode).toBe(0);
  });
});

const py = pythons().find((x) => x.cmd !== null)?.cmd ?? null;
const run = (args: string[]): Promise<{ code: number; out: string; err: string }> =>
  new Promise((res) => execFile(py!, args, { timeout: 30_000 }, (e, out, err) => res({ code: e ? ((e as any).code ?? 1) : 0, out, err })));

describe.skipIf(py === null)("a CPython peer with an authkey", () => {
  test("answers a Node Listener's offer as any challenge, and gets pickle", async () => {
    const l = track(new Listener(["127.0.0.1", 0], { authkey: key }));
    const child = run(["-c", `from multiprocessing.connection import Client\nwith Client(('127.0.0.1', ${(l.address as [string, number])[1]}), authkey=b'codec key') as c:\n    c.send(c.recv() + [float])\n    print(c.recv())`]);
    const s = track(l.accept());
    expect((s as any)._codec).toBe(false);
    s.send([1, "two"]);
    expect(mp.py.repr(s.recv())).toBe("[1, 'two', <class 'float'>]");
    s.send(tuple(1, undefined));
    const r = await child;
    expect(r.err).toBe("");
    expect(r.out).toBe("(1, None)\n");
  });

  test("a Node Client's offer is answered by a CPython Listener, which gets pickle", async () => {
    const script = "import sys\nfrom multiprocessing.connection import Listener\nwith Listener(('127.0.0.1', 0), authkey=b'codec key') as l:\n    print(l.address[1], flush=True)\n    with l.accept() as c:\n        c.send(c.recv())";
    const { spawn: spawnChild } = await import("node:child_process");
    const child = spawnChild(py!, ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const port = await new Promise<number>((res) => child.stdout!.once("data", (d) => res(Number(String(d).trim()))));
      const c = track(Client(["127.0.0.1", port], { authkey: key }));
      expect((c as any)._codec).toBe(false);
      c.send({ a: tuple(1, 2), f: float(2) });
      expect(c.recv()).toEqual({ a: tuple(1, 2), f: float(2) });
      c.close();
      expect(await new Promise((res) => child.once("exit", res))).toBe(0);
    } finally {
      child.kill();
    }
  });
});
