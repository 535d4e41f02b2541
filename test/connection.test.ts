// Pipe and Connection: both directions, bytes with offsets, EOF and broken pipes across
// processes, handles closed for a terminated child, poll, and connection.wait.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/targets.js";
import { spawn } from "./helpers/processes.js";

describe("Pipe and Connection", () => {
  test("a duplex pipe carries objects both ways through a child", () => {
    const [a, b] = mp.Pipe();
    const p = spawn({ target: t.echoConn, args: [b] });
    b.close();
    for (const x of [1, "two", [3], { four: 4 }, Buffer.from("5"), 2n ** 65n]) {
      a.send(x);
      expect(a.recv()).toEqual(x);
    }
    a.close();
    p.join(); // the child sees EOF once our copy is closed, and returns
    expect(p.exitcode).toBe(0);
  });

  test("send_bytes counts offset and size in bytes and checks them", () => {
    const [r, w] = mp.Pipe(false);
    const arr = new Int32Array([1, 2, 3, 4]);
    w.send_bytes(arr, 4, 8);
    expect(new Int32Array(new Uint8Array(r.recv_bytes()).buffer)).toEqual(new Int32Array([2, 3]));
    expect(() => w.send_bytes(arr, -1)).toThrow("offset is negative");
    expect(() => w.send_bytes(arr, 17)).toThrow("buffer length < offset");
    expect(() => w.send_bytes(arr, 0, -1)).toThrow("size is negative");
    expect(() => w.send_bytes(arr, 8, 9)).toThrow("buffer length < offset + size");
    expect(() => w.send_bytes("s" as any)).toThrow("memoryview: a bytes-like object is required, not 'str'");
    w.send_bytes(Buffer.alloc(0));
    expect(r.poll()).toBe(true);
    expect(r.recv_bytes()).toEqual(Buffer.alloc(0)); // an empty message is a real message
  });

  test("poll() waits up to its timeout and is true at EOF", () => {
    const [r, w] = mp.Pipe(false);
    const t0 = performance.now();
    expect(r.poll(0.1)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(80);
    w.close();
    expect(r.poll(null)).toBe(true);
    expect(() => r.recv()).toThrow(mp.py.EOFError);
  });

  test("the peer of a terminated child sees EOF instead of hanging", () => {
    const [r, w] = mp.Pipe(false);
    const e = mp.Event();
    const p = spawn({ target: t.setAndSleep, args: [e, 60], kwargs: undefined });
    void w;
    const [r2, w2] = mp.Pipe(false);
    const holder = spawn({ target: t.echoConn, args: [w2] });
    w2.close();
    holder.terminate();
    holder.join();
    expect(() => r2.recv()).toThrow(mp.py.EOFError);
    p.terminate();
    p.join();
    r.close();
  });

  test("a 16 MiB message from a child arrives whole", () => {
    const [r, w] = mp.Pipe(false);
    const p = spawn({ target: t.sendBig, args: [w, 16 << 20] });
    w.close();
    const m = r.recv_bytes();
    p.join();
    expect(m.length).toBe(16 << 20);
    expect(m.every((b) => b === 7)).toBe(true);
  });

  test("a message cut short by the sender's termination raises OSError instead of waiting forever", () => {
    const [r, w] = mp.Pipe(false);
    const p = spawn({ target: t.sendBig, args: [w, 16 << 20] });
    w.close();
    expect(r.poll(30)).toBe(true); // the first part is in; the child waits for room for the rest
    p.terminate();
    p.join();
    expect(() => r.recv_bytes()).toThrow("got end of file during message");
  });

  test("recv_async() waits without blocking the event loop", async () => {
    const [a, b] = mp.Pipe();
    const p = spawn({ target: t.echoConn, args: [b] });
    b.close();
    a.send("ping");
    expect(await a.recv_async()).toBe("ping");
    expect(await a.poll_async(0.01)).toBe(false);
    a.close();
    await p.join_async();
  });

  test("connection.wait() returns the ready connections and finished sentinels", () => {
    const [r1, w1] = mp.Pipe(false);
    const [r2] = mp.Pipe(false);
    expect(mp.connection.wait([r1, r2], 0.05)).toEqual([]);
    w1.send(1);
    expect(mp.connection.wait([r1, r2], 1)).toEqual([r1]);
    const p = spawn({ target: t.sleepSeconds, args: [0.1] });
    expect(mp.connection.wait([p.sentinel], 30)).toEqual([p.sentinel]);
    p.join();
    expect(mp.connection.wait([], 0)).toEqual([]);
  });

  test("repr and the with() form", () => {
    const [a, b] = mp.Pipe();
    expect(String(a)).toMatch(/^<multiprocessing\.connection\.Connection object at 0x[0-9a-f]+>$/);
    a.with((c) => expect(c).toBe(a));
    expect(a.closed).toBe(true);
    expect(() => b.send(1)).toThrow("[Errno 32] Broken pipe");
  });
});
