// Proxies shared across the process tree: as Process arguments, through queues and into pool
// tasks, they stay live; a referent goes when no process holds a proxy to it (incref/decref);
// many processes under a manager Lock count exactly; a blocking call blocks only its caller; a
// child terminated in the middle of a call leaves the manager and the other proxies working.
import mp from "multiprocessing-ts";
import type { SyncManager } from "multiprocessing-ts/managers";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import * as t from "./fixtures/manager_targets.js";

let m: SyncManager;
beforeAll(() => {
  m = mp.Manager();
});
afterAll(() => {
  m.shutdown();
});
const started: mp.Process[] = [];
function spawn(target: (...a: any[]) => unknown, args: unknown[]): mp.Process {
  const p = new mp.Process({ target, args });
  started.push(p);
  p.start();
  return p;
}
afterEach(() => {
  // Every child a test starts is gone by the end of it (the manager's own process stays).
  for (const p of started.splice(0)) {
    if (p.is_alive()) p.terminate();
    p.join(5);
  }
  expect(mp.active_children().filter((p) => p !== m._process)).toEqual([]);
});

describe("sharing proxies", () => {
  test("4 processes x 10,000 d[k] += 1 under a manager Lock count exactly", () => {
    const d = m.dict({ n: 0 });
    const lock = m.Lock();
    const n = 10_000;
    const ps = [1, 2, 3, 4].map(() => spawn(t.locked_increments, [d, lock, "n", n]));
    for (const p of ps) p.join(110);
    expect(ps.map((p) => p.exitcode)).toEqual([0, 0, 0, 0]);
    expect(d.n).toBe(4 * n);
  });

  test("a client parked in lock.acquire() gets the lock when its holder releases it", () => {
    const lock = m.Lock();
    const out = mp.Queue();
    lock.acquire();
    const p = spawn(t.acquire_and_report, [lock, out]);
    mp.py.time.sleep(0.2);
    expect(out.empty()).toBe(true);
    lock.release();
    expect(out.get(true, 30)).toBe("acquired");
    p.join(10);
    expect(lock.acquire(false)).toBe(true);
  });

  test("a proxy sent through a queue stays live in the child that takes it", () => {
    const d = m.dict();
    const q = mp.Queue();
    const done = mp.Queue();
    const p = spawn(t.write_through_queued_proxy, [q, done]);
    q.put(d);
    expect(done.get(true, 30)).toBe("DictProxy");
    p.join(10);
    expect(d.via).toBe("queue");
  });

  test("a proxy passed into pool tasks stays live in the pool's workers", () => {
    const d = m.dict();
    const pool = mp.Pool(2);
    try {
      expect(pool.map(t.pool_store_square, [[d, 1], [d, 2], [d, 3]])).toEqual([1, 2, 3]);
    } finally {
      pool.terminate();
      pool.join();
    }
    expect(d.copy()).toEqual(new Map([[1, 1], [2, 4], [3, 9]]));
  });

  /** Whether the server still holds the object `id` (other tests' garbage may go meanwhile, so counts are not compared). */
  const held = (id: string) => m._debug_info().includes(`${id}:`);
  const waitGone = async (id: string, gc?: () => void) => {
    for (let i = 0; i < 100 && held(id); i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 20));
    }
    return !held(id);
  };

  test("a referent is freed when no process holds a proxy to it", async () => {
    const l = m.list();
    const id = l._id;
    expect(held(id)).toBe(true);
    const p = spawn(t.hold_and_exit, [l]);
    p.join(30);
    expect(p.exitcode).toBe(0);
    expect(l._getvalue()).toEqual(["child was here"]);
    expect(held(id)).toBe(true); // the child's reference went with it; ours is still there
    l._close();
    expect(await waitGone(id)).toBe(true);
  });

  test("using releases a proxy at the end of its scope", async () => {
    let id = "";
    {
      using d = m.dict();
      d.x = 1;
      id = d._id;
      expect(held(id)).toBe(true);
    }
    expect(await waitGone(id)).toBe(true);
  });

  test("a proxy that is garbage collected releases its referent (the FinalizationRegistry backstop)", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const id = (() => {
      const d = m.dict({ temporary: true });
      expect(d.temporary).toBe(true);
      return d._id;
    })();
    expect(held(id)).toBe(true);
    expect(await waitGone(id, gc)).toBe(true);
  });

  test("a client blocked in q.get() does not stop another client from putting", () => {
    const q = m.Queue();
    const out = mp.Queue();
    const p = spawn(t.get_and_report, [q, out]);
    mp.py.time.sleep(0.2); // the child is (most likely) parked in get() by now
    const d = m.dict();
    d.still = "served"; // the server answers others meanwhile
    expect(d.still).toBe("served");
    q.put("item");
    expect(out.get(true, 30)).toEqual(["got", "item"]);
    p.join(10);
  });

  test("the main thread blocks in a proxy call until a child completes it", () => {
    const ev = m.Event();
    const q = m.Queue();
    const out = mp.Queue();
    const p = spawn(t.get_and_report, [q, out]);
    q.put("x");
    expect(out.get(true, 30)).toEqual(["got", "x"]);
    expect(ev.wait(0.05)).toBe(false);
    p.join(10);
  });

  test("a child terminated in the middle of a call leaves the manager and other proxies working", () => {
    const lock = m.Lock();
    const d = m.dict({ a: 1 });
    lock.acquire();
    const ready = mp.Queue();
    const p = spawn(t.block_on_lock, [lock, ready]);
    expect(ready.get(true, 30)).toBe("blocking");
    mp.py.time.sleep(0.05);
    p.terminate();
    p.join(5);
    expect(p.exitcode).toBe(-15);
    d.b = 2;
    expect(d.copy()).toEqual(new Map([["a", 1], ["b", 2]]));
    const q = m.Queue();
    q.put(1);
    expect(q.get()).toBe(1);
    lock.release(); // handed to the dead child's parked acquire, as CPython's server thread would take it
  });
});
