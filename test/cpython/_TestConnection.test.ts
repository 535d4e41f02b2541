// Port of CPython's _TestConnection (Lib/test/_test_multiprocessing.py), "processes" flavour.
// array.array('i', ...) becomes an Int32Array; bytearray a Buffer.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/connection.js";
import { track } from "../helpers/processes.js";
import { TIMEOUT1, TimingWrapper, assertTimingAlmostEqual } from "./support.js";

const { time } = mp.py;
const latin = (s: string): Buffer => Buffer.from(s, "latin1");
const is = (name: string) => expect.objectContaining({ name });

describe("_TestConnection", () => {
  test("test_connection: objects, bytes, recv_bytes_into with offsets, BufferTooShort, poll timings, 16 MiB, and EOF once the child is gone", () => {
    const [conn, child_conn] = mp.Pipe();
    const p = track(new mp.Process({ target: f.echo, args: [child_conn] }));
    p.daemon = true;
    p.start();

    const seq = [1, 2.25, null];
    const msg = latin("hello world");
    const longmsg = Buffer.concat(Array(10).fill(msg));
    const arr = Int32Array.from([0, 1, 2, 3]);

    expect(Number.isInteger(conn.fileno())).toBe(true);

    expect(conn.send(seq)).toBeUndefined();
    expect(conn.recv()).toEqual(seq);

    expect(conn.send_bytes(msg)).toBeUndefined();
    expect(conn.recv_bytes()).toEqual(msg);

    let buffer = new Int32Array(10);
    let expected = [...arr, ...Array(10 - arr.length).fill(0)];
    expect(conn.send_bytes(arr)).toBeUndefined();
    expect(conn.recv_bytes_into(buffer)).toBe(arr.length * buffer.BYTES_PER_ELEMENT);
    expect([...buffer]).toEqual(expected);

    buffer = new Int32Array(10);
    expected = [0, 0, 0, ...arr, ...Array(10 - 3 - arr.length).fill(0)];
    expect(conn.send_bytes(arr)).toBeUndefined();
    expect(conn.recv_bytes_into(buffer, 3 * buffer.BYTES_PER_ELEMENT)).toBe(arr.length * buffer.BYTES_PER_ELEMENT);
    expect([...buffer]).toEqual(expected);

    const buf = latin(" ".repeat(40));
    expect(conn.send_bytes(longmsg)).toBeUndefined();
    let res: unknown;
    try {
      res = conn.recv_bytes_into(buf);
    } catch (e: any) {
      expect(e.name).toBe("BufferTooShort");
      expect(e.args).toEqual([longmsg]);
      res = "raised";
    }
    if (res !== "raised") throw new Error(`expected BufferTooShort, got ${res}`);

    const poll = new TimingWrapper(conn.poll.bind(conn));
    expect(poll.call()).toBe(false);
    assertTimingAlmostEqual(poll.elapsed!, 0);
    expect(poll.call(-1)).toBe(false);
    assertTimingAlmostEqual(poll.elapsed!, 0);
    expect(poll.call(TIMEOUT1)).toBe(false);
    assertTimingAlmostEqual(poll.elapsed!, TIMEOUT1);

    conn.send(null);
    time.sleep(0.1);

    expect(poll.call(TIMEOUT1)).toBe(true);
    assertTimingAlmostEqual(poll.elapsed!, 0);

    expect(conn.recv()).toBe(null);

    const really_big_msg = Buffer.alloc(1024 * 1024 * 16, "X"); // 16Mb
    conn.send_bytes(really_big_msg);
    expect(conn.recv_bytes().equals(really_big_msg)).toBe(true);

    conn.send_bytes(f.SENTINEL); // tell child to quit
    child_conn.close();

    expect(conn.readable).toBe(true);
    expect(conn.writable).toBe(true);
    expect(() => conn.recv()).toThrow(is("EOFError"));
    expect(() => conn.recv_bytes()).toThrow(is("EOFError"));

    p.join();
  });

  test("test_duplex_false: a one-way Pipe's ends are readable or writable only, and the wrong calls raise OSError", () => {
    const [reader, writer] = mp.Pipe(false);
    expect(writer.send(1)).toBeUndefined();
    expect(reader.recv()).toBe(1);
    expect(reader.readable).toBe(true);
    expect(reader.writable).toBe(false);
    expect(writer.readable).toBe(false);
    expect(writer.writable).toBe(true);
    expect(() => reader.send(2)).toThrow(is("OSError"));
    expect(() => writer.recv()).toThrow(is("OSError"));
    expect(() => writer.poll()).toThrow(is("OSError"));
  });

  test("test_spawn_close: the parent may close the child's end right after start()", () => {
    const [conn, child_conn] = mp.Pipe();
    const p = track(new mp.Process({ target: f.echo, args: [child_conn] }));
    p.daemon = true;
    p.start();
    child_conn.close(); // this might complete before child initializes

    const msg = latin("hello");
    conn.send_bytes(msg);
    expect(conn.recv_bytes()).toEqual(msg);

    conn.send_bytes(f.SENTINEL);
    conn.close();
    p.join();
  });

  test("test_sendbytes: send_bytes() offsets and sizes slice the buffer, and out-of-range ones raise ValueError", () => {
    const msg = latin("abcdefghijklmnopqrstuvwxyz");
    const [a, b] = mp.Pipe();

    a.send_bytes(msg);
    expect(b.recv_bytes()).toEqual(msg);
    a.send_bytes(msg, 5);
    expect(b.recv_bytes()).toEqual(msg.subarray(5));
    a.send_bytes(msg, 7, 8);
    expect(b.recv_bytes()).toEqual(msg.subarray(7, 7 + 8));
    a.send_bytes(msg, 26);
    expect(b.recv_bytes()).toEqual(latin(""));
    a.send_bytes(msg, 26, 0);
    expect(b.recv_bytes()).toEqual(latin(""));

    expect(() => a.send_bytes(msg, 27)).toThrow(is("ValueError"));
    expect(() => a.send_bytes(msg, 22, 5)).toThrow(is("ValueError"));
    expect(() => a.send_bytes(msg, 26, 1)).toThrow(is("ValueError"));
    expect(() => a.send_bytes(msg, -1)).toThrow(is("ValueError"));
    expect(() => a.send_bytes(msg, 4, -1)).toThrow(is("ValueError"));
  });

  test("test_context: both ends as context managers close on exit, and recv() then raises OSError", () => {
    const [a, b] = mp.Pipe();
    a.with(() =>
      b.with(() => {
        a.send(1729);
        expect(b.recv()).toBe(1729);
        expect(a.closed).toBe(false);
        expect(b.closed).toBe(false);
      }));
    expect(a.closed).toBe(true);
    expect(b.closed).toBe(true);
    expect(() => a.recv()).toThrow(is("OSError"));
    expect(() => b.recv()).toThrow(is("OSError"));
  });
});
