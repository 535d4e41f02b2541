// Port of CPython's TestSyncManagerTypes (Lib/test/_test_multiprocessing.py): every type a
// SyncManager shares, created in the parent, read and changed by a child through its proxy (the
// child's `assert`s raise AssertionError, so a failed one makes its exitcode 1), then checked
// again in the parent. Child targets: test/fixtures/cpython/sync_manager_types.ts.
import mp from "multiprocessing-ts";
import { SyncManager } from "multiprocessing-ts/managers";
import { len } from "multiprocessing-ts/py";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/sync_manager_types.js";
import { join_process } from "./support.js";

let manager: SyncManager | null;
let proc: mp.Process | null;

// CPython starts a manager per test (setUp); one for the file keeps it within the time budget:
// each test makes its own shared object. (No helpers/processes.js here: its afterEach would take
// the file's manager for a dangling process; afterEach below ends the test's child instead.)
beforeAll(() => {
  manager = new SyncManager();
  manager.start();
});

afterAll(() => {
  manager!.shutdown();
  manager = null;
  expect(mp.active_children(), "dangling processes").toEqual([]);
});

beforeEach(() => {
  proc = null;
});

afterEach(() => {
  if (proc !== null && proc.is_alive()) {
    proc.terminate();
    proc.join();
  }
  proc = null;
});

/** Only the manager process should be left in active_children(); CPython waits up to 5 s and only warns. */
function wait_proc_exit(): void {
  join_process(proc!);
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline) {
    if (mp.active_children().length <= 1) break;
    mp.py.time.sleep(0.01);
  }
}

function run_worker(worker: (obj: any) => void, obj: unknown): void {
  proc = new mp.Process({ target: worker, args: [obj] });
  proc.daemon = true;
  proc.start();
  wait_proc_exit();
  expect(proc.exitcode).toBe(0);
}

function truthy(o: any): boolean {
  return len(o) !== 0; // Python's bool() of a container proxy
}

describe("TestSyncManagerTypes", () => {
  test("test_event: a child sees a set Event, waits on it and clears it; the parent sees it cleared", () => {
    const o = manager!.Event();
    o.set();
    run_worker(f._test_event, o);
    expect(o.is_set()).toBe(false);
    o.wait(0.001);
  });

  function test_lock(lname = "Lock"): void {
    const o = manager![lname]();
    run_worker(f._test_lock, o);
    o.release();
    expect(() => o.release()).toThrow(expect.objectContaining({ name: "RuntimeError" })); // already released
  }

  test("test_lock: a Lock acquired by a child is released by the parent; a second release raises RuntimeError", () => {
    test_lock();
  });

  test("test_rlock: a child acquires and releases the manager's Lock (CPython's test passes lname='Lock')", () => {
    const o = manager!["Lock"]();
    run_worker(f._test_rlock, o);
  });

  function test_semaphore(sname = "Semaphore"): void {
    const o = manager![sname]();
    run_worker(f._test_semaphore, o);
    o.release();
  }

  test("test_semaphore: a Semaphore acquired by a child is released by the parent", () => {
    test_semaphore();
  });

  test("test_bounded_semaphore: a BoundedSemaphore acquired by a child is released by the parent", () => {
    test_semaphore("BoundedSemaphore");
  });

  test("test_condition: a child acquires and releases a Condition", () => {
    const o = manager!.Condition();
    run_worker(f._test_condition, o);
  });

  test("test_barrier: a child reads a Barrier's parties and resets it", () => {
    const o = manager!.Barrier(5);
    run_worker(f._test_barrier, o);
  });

  test("test_pool: a child enters and leaves a manager's Pool (which terminates it)", () => {
    const o = manager!.Pool({ processes: 4 });
    run_worker(f._test_pool, o);
  });

  function test_queue(qname = "Queue"): void {
    const o = manager![qname](2);
    o.put(5);
    o.put(6);
    run_worker(f._test_queue, o);
    expect(o.empty()).toBe(true);
    expect(o.full()).toBe(false);
  }

  test("test_queue: a child sees a full Queue of two items and empties it; the parent sees it empty", () => {
    test_queue();
  });

  test("test_joinable_queue: the same with a JoinableQueue", () => {
    test_queue("JoinableQueue");
  });

  test("test_list: a child reads, counts, sorts, iterates and pops a list; the parent sees it empty", () => {
    const o: any = manager!.list();
    o.append(5);
    run_worker(f._test_list, o);
    expect(truthy(o)).toBe(false);
    expect(len(o)).toBe(0);
  });

  test("test_dict: a child reads a dict by key, get, items, keys, values, copy and popitem; the parent sees it empty", () => {
    const o: any = manager!.dict();
    o["foo"] = 5;
    run_worker(f._test_dict, o);
    expect(truthy(o)).toBe(false);
    expect(len(o)).toBe(0);
  });

  test("test_value: a child reads a Value by .value and get() and sets it; the parent reads the new value", () => {
    const o: any = manager!.Value("i", 1);
    run_worker(f._test_value, o);
    expect(o.value).toBe(2);
    expect(o.get()).toBe(2);
  });

  test("test_array: a child reads an Array by index, len and iteration", () => {
    const o: any = manager!.Array("i", [0, 1]);
    run_worker(f._test_array, o);
  });

  test("test_namespace: a child reads the attributes the parent set on a Namespace", () => {
    const o: any = manager!.Namespace();
    o.x = 0;
    o.y = 1;
    run_worker(f._test_namespace, o);
  });
});
