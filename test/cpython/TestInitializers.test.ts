// Port of CPython's TestInitializers (Lib/test/_test_multiprocessing.py): the initializer of
// Manager.start() and of Pool() (issue 5585), seen through a manager Namespace.
import mp from "multiprocessing-ts";
import { SyncManager } from "multiprocessing-ts/managers";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { initializer } from "../fixtures/cpython/misc.js";

let mgr: SyncManager;
let ns: any;
beforeEach(() => {
  mgr = mp.Manager();
  ns = mgr.Namespace();
  ns.test = 0;
});
afterEach(() => {
  mgr.shutdown();
  mgr.join();
  expect(mp.active_children(), "dangling processes").toEqual([]);
});

describe("TestInitializers", () => {
  test("test_manager_initializer: start() rejects a non-callable initializer with TypeError, and runs a callable one in the server", () => {
    const m = new SyncManager();
    expect(() => (m.start as any)(1)).toThrow(mp.py.TypeError);
    m.start(initializer, [ns]);
    expect(ns.test).toBe(1);
    m.shutdown();
    m.join();
  });

  test("test_pool_initializer: Pool() rejects a non-callable initializer with TypeError, and runs a callable one in its worker", () => {
    expect(() => (mp.Pool as any)({ initializer: 1 })).toThrow(mp.py.TypeError);
    const p = mp.Pool(1, initializer, [ns]);
    p.close();
    p.join();
    expect(ns.test).toBe(1);
  });
});
