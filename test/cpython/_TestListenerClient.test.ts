// Port of CPython's _TestListenerClient (Lib/test/_test_multiprocessing.py), "processes" flavour.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/connection.js";
import { track } from "../helpers/processes.js";

const connection = mp.connection as any;
const { time } = mp.py;

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
