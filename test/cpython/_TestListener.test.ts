// Port of CPython's _TestListener and _TestListenerClient (Lib/test/_test_multiprocessing.py),
// "processes" flavour.
import mp from "multiprocessing-ts";
import { afterEach, describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/connection.js";
import { track } from "../helpers/processes.js";

const connection = mp.connection as any;
const { time } = mp.py;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

describe("_TestListener", () => {
  test("test_multiple_bind: a second Listener on a bound address raises OSError, for every family", () => {
    for (const family of connection.families) {
      const l = new connection.Listener({ family });
      cleanups.push(() => l.close());
      expect(() => new connection.Listener(l.address, family)).toThrow(mp.py.OSError);
    }
  });

  test("test_context: Listener, Client and the accepted Connection work as context managers, and a closed Listener's accept() raises OSError", () => {
    const l = new connection.Listener();
    l.with(() => {
      const c = connection.Client(l.address);
      c.with(() => {
        const d = l.accept();
        d.with(() => {
          c.send(1729);
          expect(d.recv()).toBe(1729);
        });
      });
    });
    expect(() => l.accept()).toThrow(mp.py.OSError);
  });

  test("test_abstract_socket: an abstract AF_UNIX address works as a path does", () => {
    const listener = new connection.Listener("\0something");
    listener.with(() => {
      const client = connection.Client(listener.address);
      client.with(() => {
        const d = listener.accept();
        d.with(() => {
          client.send(1729);
          expect(d.recv()).toBe(1729);
        });
      });
    });
    expect(() => listener.accept()).toThrow(mp.py.OSError);
  });
});

describe("_TestListenerClient", () => {
  test("test_listener_client: a child's Client reaches the parent's Listener, for every family", () => {
    for (const family of connection.families) {
      const l = new connection.Listener({ family });
      const p = track(new mp.Process({ target: f.listener_client_test, args: [l.address] }));
      p.daemon = true;
      p.start();
      const conn = l.accept();
      expect(conn.recv()).toBe("hello");
      p.join();
      l.close();
    }
  });

  test("test_issue14725: a client that connected, sent and closed before accept() is still accepted", () => {
    const l = new connection.Listener();
    const p = track(new mp.Process({ target: f.listener_client_test, args: [l.address] }));
    p.daemon = true;
    p.start();
    time.sleep(1);
    const conn = l.accept();
    expect(conn.recv()).toBe("hello");
    conn.close();
    p.join();
    l.close();
  });

  test("test_issue16955: poll() on a Client sees bytes the accepted end sent, for every family", () => {
    for (const fam of connection.families) {
      const l = new connection.Listener({ family: fam });
      const c = connection.Client(l.address);
      const a = l.accept();
      a.send_bytes(Buffer.from("hello"));
      expect(c.poll(1)).toBe(true);
      a.close();
      c.close();
      l.close();
    }
  });
});
