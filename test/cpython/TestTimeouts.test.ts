// Port of CPython's TestTimeouts (Lib/test/_test_multiprocessing.py; issue 6056): a Pipe and an
// AF_INET Listener keep working with a child that answers after a second. CPython runs it under
// socket.setdefaulttimeout(0.1); Node has no process-wide default socket timeout (NOT_PORTED.md).
import mp from "multiprocessing-ts";
import { Listener } from "multiprocessing-ts/connection";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/misc.js";
import { track } from "../helpers/processes.js";
import { join_process } from "./support.js";

describe("TestTimeouts", () => {
  test("test_timeout: the parent receives 123 on a Pipe and 456 on a Listener connection from a child that sleeps a second first", () => {
    const [parent, child] = mp.Pipe(true);
    const l = new Listener({ family: "AF_INET" });
    const p = track(new mp.Process({ target: f._test_timeout, args: [child, l.address] }));
    p.start();
    child.close();
    expect(parent.recv()).toBe(123);
    parent.close();
    const conn = l.accept();
    expect(conn.recv()).toBe(456);
    conn.close();
    l.close();
    join_process(p);
  }, 60_000);
});
