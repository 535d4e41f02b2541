// Port of CPython's _TestPoll (Lib/test/_test_multiprocessing.py), "processes" flavour.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/connection.js";
import { track } from "../helpers/processes.js";

const { time } = mp.py;
const b = (s: string): Buffer => Buffer.from(s, "latin1");

describe("_TestPoll", () => {
  test("test_empty_string: an empty message makes poll() true, and stays until it is read", () => {
    const [a, bb] = mp.Pipe();
    expect(a.poll()).toBe(false);
    bb.send_bytes(b(""));
    expect(a.poll()).toBe(true);
    expect(a.poll()).toBe(true);
  });

  test("test_strings: messages sent one by one, empty ones included, are polled and read in order", () => {
    const strings = ["hello", "", "a", "b", "", "bye", "", "lop"].map(b);
    const [a, bb] = mp.Pipe();
    const p = track(new mp.Process({ target: f.child_strings, args: [bb, strings] }));
    p.start();
    for (const s of strings) {
      for (let i = 0; i < 200; i++) if (a.poll(0.01)) break;
      const x = a.recv_bytes();
      expect(x).toEqual(s);
    }
    p.join();
  });

  test("test_boundaries: a child's poll() never consumes part of a message", () => {
    const [r, w] = mp.Pipe(false);
    const p = track(new mp.Process({ target: f.child_boundaries, args: [r] }));
    p.start();
    time.sleep(2);
    const L = [b("first"), b("second")];
    for (const obj of L) w.send_bytes(obj);
    w.close();
    p.join();
    expect(L).toContainEqual(r.recv_bytes());
  });

  test("test_dont_merge: three small messages stay three messages", () => {
    const [a, bb] = mp.Pipe();
    expect(a.poll(0.0)).toBe(false);
    expect(a.poll(0.1)).toBe(false);

    const p = track(new mp.Process({ target: f.child_dont_merge, args: [bb] }));
    p.start();

    expect(a.recv_bytes()).toEqual(b("a"));
    expect(a.poll(1.0)).toBe(true);
    expect(a.poll(1.0)).toBe(true);
    expect(a.recv_bytes()).toEqual(b("b"));
    expect(a.poll(1.0)).toBe(true);
    expect(a.poll(1.0)).toBe(true);
    expect(a.poll(0.0)).toBe(true);
    expect(a.recv_bytes()).toEqual(b("cd"));

    p.join();
  });
});
