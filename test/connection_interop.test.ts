// Listener/Client against real CPython on loopback: Node Client ⇄ Python Listener and Python
// Client ⇄ Node Listener, AF_INET and AF_UNIX, with and without an authkey, a wrong key refused
// on both sides, and messages up to tens of MiB, for each python3.X on the machine.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mp from "multiprocessing-ts";
import { Client, Listener, type Address } from "multiprocessing-ts/connection";
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
  expect(() => c.recv_bytes()).toThrow(mp.EOFError ?? Error);
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

    test("a 64 MiB message crosses both ways intact", async () => {
      const { py, address } = await nodeClient(cmd!, "AF_INET", null);
      const c = track(Client(address));
      const big = pattern(64 << 20);
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
