// Listener and Client between Node processes: accept/close/address/last_accepted, the authkey
// handshake, Connections with Pipe's API (poll, _async twins, connection.wait, recv_bytes_into
// offsets), blocking calls that need no event loop, the recv size cap, the security warning.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { Client, Listener, answer_challenge, deliver_challenge } from "multiprocessing-ts/connection";
import { afterEach, describe, expect, test } from "vitest";
import * as t from "./fixtures/connection_targets.js";
import { spawn } from "./helpers/processes.js";

const opened: { close(): void }[] = [];
function track<T extends { close(): void }>(x: T): T {
  opened.push(x);
  return x;
}
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

describe("Listener and Client", () => {
  test("a Client and a Listener of one thread exchange objects and bytes over AF_INET", () => {
    const l = track(new Listener(["localhost", 0]));
    const [host, port] = l.address as [string, number];
    expect(host).toBe("127.0.0.1");
    expect(port).toBeGreaterThan(0);
    expect(l.last_accepted).toBe(null);
    const c = track(Client(l.address)); // the host accepts for us: no deadlock in one thread
    const s = track(l.accept());
    expect((l.last_accepted as [string, number])[0]).toBe("127.0.0.1");
    c.send({ a: [1, "two", null] });
    expect(s.recv()).toEqual({ a: [1, "two", null] });
    s.send_bytes(Buffer.from("0123456789"), 2, 5);
    const into = Buffer.alloc(8, 0x2e);
    expect(c.recv_bytes_into(into, 3)).toBe(5);
    expect(into.toString()).toBe("...23456");
    expect(c).toBeInstanceOf(mp.connection.Connection);
    expect([c.closed, c.readable, c.writable]).toEqual([false, true, true]);
    expect(Number.isInteger(c.fileno())).toBe(true);
    expect(String(c)).toMatch(/^<multiprocessing\.connection\.Connection object at 0x[0-9a-f]+>$/);
    expect(String(l)).toMatch(/^<multiprocessing\.connection\.Listener object at 0x[0-9a-f]+>$/);
  });

  test("AF_UNIX: the default address is a fresh path, removed by close()", () => {
    const l = new Listener();
    const path = l.address as string;
    expect(typeof path).toBe("string");
    expect(existsSync(path)).toBe(true);
    const c = track(Client(path));
    const s = track(l.accept());
    expect(l.last_accepted).toBe("");
    c.send_bytes(Buffer.from("hi"));
    expect(s.recv_bytes().toString()).toBe("hi");
    l.close();
    l.close(); // idempotent
    expect(existsSync(path)).toBe(false);
    expect(() => l.accept()).toThrow(new mp.py.OSError("listener is closed"));
  });

  test("a child process connects with the authkey and echoes objects; the main thread blocks in accept() and recv()", () => {
    const key = Buffer.from("secret");
    const l = track(new Listener(["127.0.0.1", 0], { authkey: key }));
    const p = spawn({ target: t.echoClient, args: [l.address, key] });
    const c = l.accept();
    for (const x of [1, "two", [3, [4]], { five: 5 }, Buffer.from("six"), 2n ** 70n]) {
      c.send(x);
      expect(c.recv()).toEqual(x);
    }
    c.close();
    p.join(30);
    expect(p.exitcode).toBe(0);
  });

  test("a wrong key is refused on both sides", () => {
    const l = track(new Listener(["127.0.0.1", 0], { authkey: Buffer.from("right") }));
    const q = mp.Queue();
    const p = spawn({ target: t.authClient, args: [l.address, Buffer.from("wrong"), q] });
    expect(() => l.accept()).toThrow(new mp.AuthenticationError("digest received was wrong"));
    expect(q.get(true, 10)).toBe("AuthenticationError: digest sent was rejected");
    p.join(30);
    const p2 = spawn({ target: t.authClient, args: [l.address, Buffer.from("right"), q] });
    track(l.accept());
    expect(q.get(true, 10)).toBe("connected");
    p2.join(30);
  });

  test("deliver_challenge and answer_challenge work on any connection, a Pipe's included", () => {
    const [a, b] = mp.Pipe();
    // The challenge goes first, so one thread can play both sides message by message.
    const key = Buffer.from("k");
    expect(() => deliver_challenge(a, "k" as any)).toThrow(new mp.py.ValueError("Authkey must be bytes, not <class 'str'>"));
    expect(() => answer_challenge(a, 1 as any)).toThrow(new mp.py.ValueError("Authkey must be bytes, not <class 'int'>"));
    a.send_bytes(Buffer.concat([Buffer.from("#CHALLENGE#"), Buffer.alloc(20, 7)])); // a 3.11-style challenge
    a.send_bytes(Buffer.from("#WELCOME#")); // queued for answer_challenge's last read
    answer_challenge(b, key); // legacy form: a raw 16-byte HMAC-MD5
    expect(a.recv_bytes().length).toBe(16);
    a.close();
    b.close();
  });

  test("poll, recv_async, poll_async and connection.wait work on socket connections", async () => {
    const l = track(new Listener(["127.0.0.1", 0]));
    const p = spawn({ target: t.sendLater, args: [l.address, 0.2, "late"] });
    const c = track(l.accept());
    expect(c.poll()).toBe(false);
    expect(mp.connection.wait([c], 0.01)).toEqual([]);
    expect(await c.poll_async(10)).toBe(true);
    expect(mp.connection.wait([c], 1)).toEqual([c]);
    expect(await c.recv_async()).toBe("late");
    expect(c.poll(10)).toBe(true); // the child closed: EOF is readable
    expect(() => c.recv()).toThrow(mp.py.EOFError);
    p.join(30);
  });

  test("recv_limit refuses a message over the cap before buffering it", () => {
    const l = track(new Listener(["127.0.0.1", 0], { recv_limit: 1000 }));
    const p = spawn({ target: t.sendBig, args: [l.address, 5000] });
    const c = track(l.accept());
    expect(() => c.recv_bytes()).toThrow(/message of 5000 bytes is over recv_limit \(1000 bytes\)/);
    p.join(30);
  });

  test("the peer closing gives EOFError on recv, then BrokenPipeError on send", () => {
    const l = track(new Listener(["127.0.0.1", 0]));
    const c = track(Client(l.address));
    const s = l.accept();
    s.close();
    expect(() => c.recv()).toThrow(mp.py.EOFError);
    // As with a CPython socket, a send may still be accepted until the close is noticed.
    let err: unknown = null;
    for (let i = 0; i < 100 && err === null; i++) {
      try {
        c.send_bytes(Buffer.from("x"));
        mp.py.time.sleep(0.01);
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(mp.py.BrokenPipeError);
    expect(() => s.recv()).toThrow(new mp.py.OSError("handle is closed"));
  });

  test("Client reports Python's errors for a refused port and a missing path", () => {
    const l = new Listener(["127.0.0.1", 0]);
    const a = l.address;
    l.close();
    expect(() => Client(a)).toThrow(new mp.py.ConnectionRefusedError(111, "Connection refused"));
    expect(() => Client("/nonexistent/x")).toThrow(new mp.py.FileNotFoundError(2, "No such file or directory"));
    expect(() => Client(null as any)).toThrow(new mp.py.ValueError("address type of None unrecognized"));
  });

  test("using and with() close the listener", () => {
    let path: string;
    {
      using l = new Listener();
      path = l.address as string;
      expect(existsSync(path)).toBe(true);
    }
    expect(existsSync(path)).toBe(false);
    const r = new Listener().with((l) => l.address);
    expect(existsSync(r as string)).toBe(false);
  });

  test("binding a non-loopback address without an authkey warns; with one it does not", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      track(new Listener(["0.0.0.0", 0], { authkey: Buffer.from("k") }));
      track(new Listener(["127.0.0.1", 0]));
      await new Promise((r) => setTimeout(r, 20));
      expect(warnings).toEqual([]);
      track(new Listener(["0.0.0.0", 0]));
      await new Promise((r) => setTimeout(r, 20));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^SecurityWarning: Listener on 0\.0\.0\.0:\d+ without an authkey/);
    } finally {
      process.off("warning", onWarning);
    }
  });
  test("an accepted connection sent to a child process keeps working there, pickle included", () => {
    const l = track(new Listener(["127.0.0.1", 0]));
    const c = track(Client(l.address));
    const s = l.accept();
    const p = spawn({ target: t.echoOnce, args: [s] });
    s.close(); // the child holds its own copy
    c.send({ x: [1, 2n ** 80n] });
    expect(c.recv()).toEqual({ x: [1, 2n ** 80n] });
    p.join(30);
    expect(p.exitcode).toBe(0);
    expect(c.poll(10)).toBe(true);
    expect(() => c.recv()).toThrow(mp.py.EOFError); // every copy of the server end is closed
  });
  test("a program that ends without close() still delivers everything it sent", async () => {
    const l = track(new Listener(["127.0.0.1", 0]));
    const program = fileURLToPath(new URL("./fixtures/programs/connection_send_and_exit.mjs", import.meta.url));
    const child = execFile(process.execPath, [program, String((l.address as [string, number])[1])], { timeout: 30_000 });
    const exited = new Promise((res) => child.on("exit", res));
    try {
      const c = track(l.accept());
      expect(c.recv_bytes().length).toBe(5_000_000);
      expect(c.recv()).toEqual(["last", 1]);
      expect(c.poll(20)).toBe(true);
      expect(() => c.recv()).toThrow(mp.py.EOFError);
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
  });
  test("a Node receiver refuses a message over 2 GiB - 1 bytes from its header, before buffering it", async () => {
    const l = track(new Listener(["127.0.0.1", 0]));
    const huge = Buffer.allocUnsafe(2 ** 31); // untouched: no memory committed
    const c = track(Client(l.address));
    const s = track(l.accept());
    expect(() => c.send_bytes(huge, 1, 2 ** 31)).toThrow(new mp.py.ValueError("buffer length < offset + size"));
    // A raw peer announces 3 GiB with CPython's 8-byte form: refused at once, nothing allocated.
    const raw = createConnection({ host: "127.0.0.1", port: (l.address as [string, number])[1] });
    try {
      const long = Buffer.alloc(12);
      long.writeInt32BE(-1, 0);
      long.writeBigUInt64BE(3n * 2n ** 30n, 4);
      const bytes = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from("x"), long]);
      await new Promise<void>((res) => raw.write(bytes, () => res()));
      const r = track(l.accept());
      expect(r.recv_bytes().toString()).toBe("x");
      expect(() => r.recv_bytes()).toThrow(new mp.py.OSError("message of more than 2 GiB - 1 bytes received: not supported by multiprocessing-ts (the connection was closed)"));
    } finally {
      raw.destroy();
    }
    c.send_bytes(huge, 0, 3);
    expect(s.recv_bytes().length).toBe(3);
  });

  test("two processes sending on copies of one socket connection never interleave their messages", () => {
    const l = track(new Listener(["127.0.0.1", 0]));
    const c = track(Client(l.address));
    const s = l.accept();
    const p = spawn({ target: t.sendMany, args: [s, 0x62, 40, 100_000] });
    t.sendMany(s, 0x61, 40, 100_000); // closes our copy when done
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 80; i++) {
      const m = c.recv_bytes();
      expect(m.length).toBe(100_000);
      const first = m[0]!;
      expect(m.every((x) => x === first)).toBe(true);
      counts[first === 0x61 ? "a" : "b"]++;
    }
    expect(counts).toEqual({ a: 40, b: 40 });
    p.join(30);
    expect(c.poll(10)).toBe(true);
    expect(() => c.recv_bytes()).toThrow(mp.py.EOFError);
  });
  test("accept_async() lets the event loop turn while it waits", async () => {
    const key = Buffer.from("k");
    const l = track(new Listener(["127.0.0.1", 0], { authkey: key }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const p = spawn({ target: t.echoClient, args: [l.address, key] });
      const c = await l.accept_async();
      expect(ticks).toBeGreaterThan(0); // the child took a while to boot: timers ran meanwhile
      c.send("ping");
      expect(await c.recv_async()).toBe("ping");
      c.close();
      p.join(30);
      expect(p.exitcode).toBe(0);
    } finally {
      clearInterval(timer);
    }
    l.close();
    await expect(l.accept_async()).rejects.toThrow(new mp.py.OSError("listener is closed"));
  });
});
