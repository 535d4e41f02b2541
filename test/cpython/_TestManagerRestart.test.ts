// Port of CPython's _TestManagerRestart (Lib/test/_test_multiprocessing.py), "processes"
// flavour: a manager started again at the address of one that was shut down.
// get_server() binds the address at once (CPython's Server makes its Listener there), and
// `srvr.listener` is that Listener; serve_forever() or start() serve on a socket from the
// manager's server process. The child reaches the server through the tree (its rings), the
// test's own proxies too.
import mp from "multiprocessing-ts";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { QueueManager, _putter } from "../fixtures/cpython/managers.js";
import { track } from "../helpers/processes.js";
import { SHORT_TIMEOUT } from "./support.js";

const SERIALIZER = "xmlrpclib";
const SHUTDOWN_TIMEOUT = SHORT_TIMEOUT;
const HOST = "127.0.0.1"; // socket_helper.HOST

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
  expect(mp.active_children()).toEqual([]);
});

/**
 * Python's `hasattr(manager, "shutdown")`: CPython sets `shutdown` on a manager when it starts;
 * here the method is always there and raises AttributeError until then, so ask its state.
 */
function hasShutdown(manager: any): boolean {
  return manager._state.value !== 0; // State.INITIAL
}

describe("_TestManagerRestart", () => {
  test("test_rapid_restart: a manager starts again at the address of one just shut down, after a child used it", () => {
    const authkey = randomBytes(32);
    let manager: any = new QueueManager({ address: [HOST, 0] as any, authkey, serializer: SERIALIZER, shutdown_timeout: SHUTDOWN_TIMEOUT });
    let addr: any;
    try {
      const srvr: any = manager.get_server();
      addr = srvr.address;
      // Close the connection.Listener socket which gets opened as a part
      // of manager.get_server(). It's not needed for the test.
      srvr.listener.close();
      manager.start();

      const p = track(new mp.Process({ target: _putter, args: [manager.address, authkey] }));
      p.start();
      p.join();
      const queue = manager.get_queue();
      expect(queue.get()).toBe("hello world");
    } finally {
      if (hasShutdown(manager)) manager.shutdown();
    }

    manager = new QueueManager({ address: addr, authkey, serializer: SERIALIZER, shutdown_timeout: SHUTDOWN_TIMEOUT });
    try {
      manager.start();
      cleanups.push(() => manager.shutdown());
    } catch (e: any) {
      if (e.errno !== 98) throw e; // errno.EADDRINUSE
      // Retry after some time, in case the old socket was lingering
      // (sporadic failure on buildbots)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      manager = new QueueManager({ address: addr, authkey, serializer: SERIALIZER, shutdown_timeout: SHUTDOWN_TIMEOUT });
      if (hasShutdown(manager)) cleanups.push(() => manager.shutdown());
    }
  });
});
