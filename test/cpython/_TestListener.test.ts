// Port of CPython's _TestListener (Lib/test/_test_multiprocessing.py), "processes" flavour.
import mp from "multiprocessing-ts";
import { afterEach, describe, expect, test } from "vitest";

const connection = mp.connection as any;
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
