// Every public callable's declared signature (shared/binder.ts): each keyword spelling does what
// the positional one does, and every timeout, in both spellings, really times out.
import mp from "multiprocessing-ts";
import { Pool as PoolFromPool } from "multiprocessing-ts/pool";
import * as sc from "multiprocessing-ts/sharedctypes";
import { SharedMemory, ShareableList, SharedMemoryManager } from "multiprocessing-ts/shared_memory";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as t from "./fixtures/pool_targets.js";
import * as tg from "./fixtures/targets.js";
import { managerSpellings } from "./helpers/manager_spellings.js";
import { expectTimesOut, outcome } from "./helpers/timeouts.js";

type Sig = { qualname: string; params: { name: string; kind: string; optional: boolean }[] };
const declared = (): Map<string, Sig> => (globalThis as any)[Symbol.for("multiprocessing-ts.signatures")];

let pool: mp.Pool;
const cleanups: (() => void)[] = [];
beforeAll(() => {
  pool = mp.Pool(2);
});
afterAll(() => {
  for (const c of cleanups.splice(0)) c();
  pool.terminate();
  pool.join();
});

function child(target: (...a: any[]) => unknown, args: unknown[]): mp.Process {
  const p = new mp.Process({ target, args });
  p.start();
  cleanups.push(() => {
    p.terminate();
    p.join();
  });
  return p;
}

/** For each declared signature: the same call spelled with positionals and with keywords gives the same result. */
const spellings: Record<string, () => [unknown, unknown]> = {
  "acquire": () => {
    const l = mp.Lock();
    l.acquire();
    return [l.acquire(false), l.acquire({ block: false })];
  },
  "Condition.wait": () => {
    const c = mp.Condition();
    c.acquire();
    return [c.wait(0.01), c.wait({ timeout: 0.01 })];
  },
  "Condition.wait_for": () => {
    const c = mp.Condition();
    c.acquire();
    return [c.wait_for(() => 7, 0.01), c.wait_for({ predicate: () => 7, timeout: 0.01 })];
  },
  "Condition.notify": () => {
    const c = mp.Condition();
    c.acquire();
    return [c.notify(2), c.notify({ n: 2 })];
  },
  "Event.wait": () => {
    const e = mp.Event();
    return [e.wait(0.01), e.wait({ timeout: 0.01 })];
  },
  "Barrier.wait": () => [mp.Barrier(1).wait(0.01), mp.Barrier(1).wait({ timeout: 0.01 })],
  "Queue.put": () => {
    const q = mp.Queue<number>();
    q.put(1, true, 1);
    q.put(1, { block: true, timeout: 1 });
    const r: [unknown, unknown] = [q.get(), q.get()];
    q.close();
    return r;
  },
  "Queue.get": () => {
    const q = mp.Queue<number>();
    q.put(1);
    q.put(1);
    const r: [unknown, unknown] = [q.get(true, 60), q.get({ block: true, timeout: 60 })];
    q.close();
    return r;
  },
  "Queue.put_nowait": () => {
    // `obj` is positional-only: a plain object is the item even when its keys name parameters.
    const q = mp.Queue<unknown>();
    q.put_nowait({ obj: 3 });
    const r: [unknown, unknown] = [{ obj: 3 }, q.get()];
    q.close();
    return r;
  },
  "SimpleQueue.put": () => {
    const q = mp.SimpleQueue<unknown>();
    q.put({ obj: 1, timeout: 2 });
    return [{ obj: 1, timeout: 2 }, q.get()];
  },
  "BaseProcess.__init__": () => {
    const a = new mp.Process(null, tg.noop, "P1", [], {}, { daemon: true });
    const b = new mp.Process({ target: tg.noop, name: "P1", daemon: true });
    return [[a.name, a.daemon], [b.name, b.daemon]];
  },
  "BaseProcess.join": () => {
    const p = child(tg.sleepSeconds, [5]);
    p.join(0.01);
    const r1 = p.exitcode;
    p.join({ timeout: 0.01 });
    return [r1, p.exitcode];
  },
  "_ConnectionBase.send": () => {
    const [a, b] = mp.Pipe();
    a.send({ obj: 1 });
    const r: [unknown, unknown] = [{ obj: 1 }, b.recv()];
    a.close();
    b.close();
    return r;
  },
  "_ConnectionBase.send_bytes": () => {
    const [a, b] = mp.Pipe();
    a.send_bytes(Buffer.from("hello"), 1, 3);
    a.send_bytes(Buffer.from("hello"), { offset: 1, size: 3 });
    const r: [unknown, unknown] = [b.recv_bytes().toString(), b.recv_bytes().toString()];
    a.close();
    b.close();
    return r;
  },
  "_ConnectionBase.recv_bytes": () => {
    const [a, b] = mp.Pipe();
    a.send_bytes(Buffer.from("hi"));
    a.send_bytes(Buffer.from("hi"));
    const r: [unknown, unknown] = [b.recv_bytes(10).toString(), b.recv_bytes({ maxlength: 10 }).toString()];
    a.close();
    b.close();
    return r;
  },
  "_ConnectionBase.recv_bytes_into": () => {
    const [a, b] = mp.Pipe();
    a.send_bytes(Buffer.from("hi"));
    a.send_bytes(Buffer.from("hi"));
    const x = Buffer.alloc(4);
    const y = Buffer.alloc(4);
    b.recv_bytes_into(x, 1);
    b.recv_bytes_into(y, { offset: 1 });
    a.close();
    b.close();
    return [x.toString("hex"), y.toString("hex")];
  },
  "_ConnectionBase.poll": () => {
    const [a, b] = mp.Pipe();
    const r: [unknown, unknown] = [b.poll(0.01), b.poll({ timeout: 0.01 })];
    a.close();
    b.close();
    return r;
  },
  "Pipe": () => {
    const [a, b] = mp.connection.Pipe(false);
    const [c, d] = mp.connection.Pipe({ duplex: false });
    const r: [unknown, unknown] = [[String(a.poll(0)), (() => { try { a.send(1); return "sent"; } catch (e: any) { return e.name; } })()], [String(c.poll(0)), (() => { try { c.send(1); return "sent"; } catch (e: any) { return e.name; } })()]];
    for (const x of [a, b, c, d]) x.close();
    return r;
  },
  "BaseContext.Pipe": () => {
    const [a, b] = mp.Pipe(false);
    const [c, d] = mp.Pipe({ duplex: false });
    const r: [unknown, unknown] = [(() => { try { a.send(1); return "sent"; } catch (e: any) { return e.name; } })(), (() => { try { c.send(1); return "sent"; } catch (e: any) { return e.name; } })()];
    for (const x of [a, b, c, d]) x.close();
    return r;
  },
  "wait": () => {
    const [a, b] = mp.Pipe();
    a.send(1);
    const r: [unknown, unknown] = [mp.connection.wait([b], 0.01).length, mp.connection.wait({ object_list: [b], timeout: 0.01 }).length];
    a.close();
    b.close();
    return r;
  },
  "ApplyResult.get": () => {
    const r = pool.apply_async(t.square, [3]);
    return [r.get(60), r.get({ timeout: 60 })];
  },
  "ApplyResult.wait": () => {
    const r = pool.apply_async(t.square, [3]);
    return [r.wait(60), r.wait({ timeout: 60 })];
  },
  "IMapIterator.next": () => {
    const it = pool.imap(t.square, [2, 3]) as mp.pool.IMapIterator<number>;
    return [it.next(60).value, it.next({ timeout: 60 }).value - 5];
  },
  "Pool.__init__": () => {
    const a = new PoolFromPool(1, null, [], 5);
    const b = PoolFromPool({ processes: 1, maxtasksperchild: 5 });
    const r: [unknown, unknown] = [String(a), String(b)];
    a.terminate();
    b.terminate();
    a.join();
    b.join();
    return r;
  },
  "BaseContext.Pool": () => {
    const a = mp.Pool(1, t.countInit, [mp.Value("i", 0)]);
    const v = mp.Value("i", 0);
    const b = mp.Pool(1, { initializer: t.countInit, initargs: [v] });
    const r: [unknown, unknown] = [a.apply(t.initCount, [0]), b.apply(t.initCount, [0])];
    a.terminate();
    b.terminate();
    a.join();
    b.join();
    return r;
  },
  "Pool.apply": () => [pool.apply(t.square, [4]), pool.apply({ func: t.square, args: [4] })],
  "Pool.apply_async": () => [pool.apply_async(t.square, [4]).get(60), pool.apply_async({ func: t.square, args: [4] }).get(60)],
  "Pool.map": () => [pool.map(t.square, [1, 2], 1), pool.map({ func: t.square, iterable: [1, 2], chunksize: 1 })],
  "Pool.map_async": () => {
    let got1: unknown = null;
    let got2: unknown = null;
    pool.map_async(t.square, [1, 2], 1, (r) => (got1 = r)).wait(60);
    pool.map_async({ func: t.square, iterable: [1, 2], chunksize: 1, callback: (r) => (got2 = r) }).wait(60);
    return [got1, got2];
  },
  "Pool.starmap": () => [pool.starmap(t.identity, [[1], [2]], 1), pool.starmap({ func: t.identity, iterable: [[1], [2]], chunksize: 1 })],
  "Pool.starmap_async": () => [pool.starmap_async(t.identity, [[1]]).get(60), pool.starmap_async({ func: t.identity, iterable: [[1]] }).get(60)],
  "Pool.imap": () => [[...(pool.imap(t.square, [1, 2], 2) as Iterable<number>)], [...(pool.imap({ func: t.square, iterable: [1, 2], chunksize: 2 }) as Iterable<number>)]],
  "Pool.imap_unordered": () => [[...(pool.imap_unordered(t.square, [3], 1) as Iterable<number>)], [...(pool.imap_unordered({ func: t.square, iterable: [3], chunksize: 1 }) as Iterable<number>)]],
  "BaseContext.Condition": () => {
    const l = mp.Lock();
    return [String(mp.Condition(l)), String(mp.Condition({ lock: l }))];
  },
  "BaseContext.Semaphore": () => [String(mp.Semaphore(3)), String(mp.Semaphore({ value: 3 }))],
  "BaseContext.BoundedSemaphore": () => [String(mp.BoundedSemaphore(3)), String(mp.BoundedSemaphore({ value: 3 }))],
  "BaseContext.Barrier": () => {
    const a = mp.Barrier(3, null, 0.5);
    const b = mp.Barrier(3, { timeout: 0.5 });
    return [[a.parties, (a as any).timeout], [b.parties, (b as any).timeout]];
  },
  "BaseContext.Queue": () => {
    const a = mp.Queue(1);
    const b = mp.Queue({ maxsize: 1 });
    a.put(1);
    b.put(1);
    const r: [unknown, unknown] = [a.full(), b.full()];
    a.close();
    b.close();
    return r;
  },
  "BaseContext.JoinableQueue": () => {
    const a = mp.JoinableQueue(1);
    const b = mp.JoinableQueue({ maxsize: 1 });
    a.put(1);
    b.put(1);
    const r: [unknown, unknown] = [a.full(), b.full()];
    a.close();
    b.close();
    return r;
  },
  "BaseContext.SimpleQueue": () => [mp.SimpleQueue().empty(), mp.SimpleQueue({ capacity: 4096 }).empty()],
  "BaseContext.Value": () => [String(mp.Value("i", { lock: false })), String(mp.Value({ typecode_or_type: "i", lock: false }))],
  "BaseContext.RawValue": () => [mp.RawValue("d", 1.5).value, mp.RawValue("d", 1.5).value],
  "BaseContext.Array": () => [mp.Array("i", 3, { lock: false }).slice(), mp.Array({ typecode_or_type: "i", size_or_initializer: 3, lock: false }).slice()],
  "BaseContext.RawArray": () => [mp.RawArray("i", [1, 2]).slice(), mp.RawArray({ typecode_or_type: "i", size_or_initializer: [1, 2] }).slice()],
  "Listener.__init__": () => {
    const a = new mp.connection.Listener(["127.0.0.1", 0], "AF_INET", 1, Buffer.from("k"));
    const b = new mp.connection.Listener({ address: ["127.0.0.1", 0], family: "AF_INET", backlog: 1, authkey: Buffer.from("k") });
    const r: [unknown, unknown] = [[a.address[0], typeof a.address[1]], [b.address[0], typeof b.address[1]]];
    a.close();
    b.close();
    return r;
  },
  "Client": () => {
    const l = new mp.connection.Listener(["127.0.0.1", 0]);
    const a = mp.connection.Client(l.address, "AF_INET", null);
    const b = mp.connection.Client({ address: l.address, family: "AF_INET", authkey: null });
    const [x, y] = [l.accept(), l.accept()];
    a.send(1);
    b.send(1);
    const r: [unknown, unknown] = [x.recv(), y.recv()];
    for (const c of [a, b, x, y, l]) c.close();
    return r;
  },
  "SharedMemory.__init__": () => {
    const a = new SharedMemory(null, true, 16);
    const b = new SharedMemory({ create: true, size: 16 });
    const c = new SharedMemory(a.name);
    const d = new SharedMemory({ name: b.name });
    const r: [unknown, unknown] = [[a.size, c.name === a.name], [b.size, d.name === b.name]];
    for (const m of [c, d, a, b]) m.close();
    a.unlink();
    b.unlink();
    return r;
  },
  "ShareableList.__init__": () => {
    const a = new ShareableList([1, "x"]);
    const b = new ShareableList({ sequence: [1, "x"] });
    const c = new ShareableList(null, { name: a.shm.name });
    const d = new ShareableList({ name: b.shm.name });
    const r: [unknown, unknown] = [[...c], [...d]];
    for (const l of [c, d, a, b]) l.shm.close();
    a.shm.unlink();
    b.shm.unlink();
    return r;
  },
  "SharedMemoryManager.SharedMemory": () => {
    const smm = new SharedMemoryManager();
    smm.start();
    const r: [unknown, unknown] = [smm.SharedMemory(8).size, smm.SharedMemory({ size: 8 }).size];
    smm.shutdown();
    return r;
  },
  "SharedMemoryManager.ShareableList": () => {
    const smm = new SharedMemoryManager();
    smm.start();
    const r: [unknown, unknown] = [[...smm.ShareableList([1, 2])], [...smm.ShareableList({ sequence: [1, 2] })]];
    smm.shutdown();
    return r;
  },
  // multiprocessing.sharedctypes' own functions (sharedctypes.py), beside the context's.
  "Value": () => [String(sc.Value("i", { lock: false })), String(sc.Value({ typecode_or_type: "i", lock: false }))],
  "Array": () => [sc.Array("i", [1, 2], { lock: false }).slice(), sc.Array({ typecode_or_type: "i", size_or_initializer: [1, 2], lock: false }).slice()],
  "RawValue": () => [sc.RawValue("d").value, sc.RawValue({ typecode_or_type: "d" }).value],
  "RawArray": () => [sc.RawArray("i", 2).slice(), sc.RawArray("i", { size_or_initializer: 2 }).slice()],
  "synchronized": () => {
    const l = mp.RLock();
    return [sc.synchronized(sc.RawValue("i"), l).get_lock() === l, sc.synchronized(sc.RawValue("i"), { lock: l }).get_lock() === l];
  },
  "DefaultContext.get_context": () => [mp.get_context("spawn").get_start_method(), mp.get_context({ method: "spawn" }).get_start_method()],
  "DefaultContext.get_start_method": () => [mp.get_start_method(false), mp.get_start_method({ allow_none: false })],
  "DefaultContext.set_start_method": () => {
    mp.set_start_method("spawn", true);
    const a = mp.get_start_method();
    mp.set_start_method({ method: "spawn", force: true });
    return [a, mp.get_start_method()];
  },
};

describe("every declared signature", () => {
  test("the table covers every public callable the library declares", () => {
    // parent_process().join() exists only inside a child.
    // A manager's declarations have their table in helpers/manager_spellings.ts (run by signatures_managers.test.ts).
    const missing = [...declared().keys()].filter((q) => !(q in spellings) && !(q in managerSpellings) && q !== "_ParentProcess.join");
    expect(missing).toEqual([]);
    expect(declared().size).toBeGreaterThanOrEqual(45);
  });

  test.each(Object.keys(spellings))("%s: the keyword spelling does what the positional one does", (name) => {
    const [positional, keywords] = spellings[name]!();
    expect(keywords).toEqual(positional);
  });

  test("Pool() from multiprocessing-ts/pool works with and without new", () => {
    const a = PoolFromPool(1);
    const b = new PoolFromPool(1);
    expect(a).toBeInstanceOf(PoolFromPool);
    expect(b).toBeInstanceOf(mp.pool.Pool);
    expect([a.apply(t.square, [3]), b.apply(t.square, [3])]).toEqual([9, 9]);
    a.terminate();
    b.terminate();
    a.join();
    b.join();
  });
});

// --- timeouts, in both spellings, must time out ------------------------------------------------------

const kTimeout = 0.3;


/** Each entry sets up, then returns the call that must wait `timeout` seconds and give up (timed alone). */
const timeouts: Record<string, (positional: boolean, timeout: number) => () => unknown> = {
  "Lock.acquire": (pos, s) => {
    const l = mp.Lock();
    l.acquire();
    return () => (pos ? l.acquire(true, s) : l.acquire({ timeout: s }));
  },
  "RLock.acquire (held by a child)": (pos, s) => {
    const l = mp.RLock();
    const held = mp.Event();
    child(tg.holdLock, [l, held, 10]);
    held.wait(60);
    return () => (pos ? l.acquire(true, s) : l.acquire({ timeout: s }));
  },
  "Semaphore.acquire": (pos, s) => {
    const x = mp.Semaphore(0);
    return () => (pos ? x.acquire(true, s) : x.acquire({ timeout: s }));
  },
  "Event.wait": (pos, s) => {
    const e = mp.Event();
    return () => (pos ? e.wait(s) : e.wait({ timeout: s }));
  },
  "Condition.wait": (pos, s) => {
    const c = mp.Condition();
    c.acquire();
    cleanups.push(() => c.release());
    return () => (pos ? c.wait(s) : c.wait({ timeout: s }));
  },
  "Condition.wait_for": (pos, s) => {
    const c = mp.Condition();
    c.acquire();
    cleanups.push(() => c.release());
    return () => (pos ? c.wait_for(() => false, s) : c.wait_for({ predicate: () => false, timeout: s }));
  },
  "Barrier.wait": (pos, s) => {
    const b = mp.Barrier(2);
    return () => outcome(() => (pos ? b.wait(s) : b.wait({ timeout: s })));
  },
  "Barrier(2, { timeout }).wait()": (_pos, s) => {
    const b = _pos ? mp.Barrier(2, null, s) : mp.Barrier(2, { timeout: s });
    return () => outcome(() => b.wait());
  },
  "Queue.get": (pos, s) => {
    const q = mp.Queue();
    cleanups.push(() => q.close());
    return () => outcome(() => (pos ? q.get(true, s) : q.get({ timeout: s })));
  },
  "Queue.put (full)": (pos, s) => {
    const q = mp.Queue(1);
    q.put(0);
    cleanups.push(() => q.close());
    return () => outcome(() => (pos ? q.put(1, true, s) : q.put(1, { timeout: s })));
  },
  "Connection.poll": (pos, s) => {
    const [a, b] = mp.Pipe();
    cleanups.push(() => (a.close(), b.close()));
    return () => (pos ? b.poll(s) : b.poll({ timeout: s }));
  },
  "connection.wait": (pos, s) => {
    const [a, b] = mp.Pipe();
    cleanups.push(() => (a.close(), b.close()));
    return () => (pos ? mp.connection.wait([b], s) : mp.connection.wait([b], { timeout: s }));
  },
  "Process.join": (pos, s) => {
    const p = child(tg.sleepSeconds, [30]);
    return () => {
      pos ? p.join(s) : p.join({ timeout: s });
      return p.exitcode;
    };
  },
  "AsyncResult.get": (pos, s) => {
    const r = pool.apply_async(t.sleepy, [3]);
    return () => outcome(() => (pos ? r.get(s) : r.get({ timeout: s })));
  },
  "AsyncResult.wait": (pos, s) => {
    const r = pool.apply_async(t.sleepy, [3]);
    return () => (pos ? r.wait(s) : r.wait({ timeout: s }));
  },
  "IMapIterator.next": (pos, s) => {
    const it = pool.imap(t.sleepy, [3]) as mp.pool.IMapIterator<number>;
    return () => outcome(() => (pos ? it.next(s) : it.next({ timeout: s })));
  },
};

describe("timeouts in both spellings", () => {
  for (const [name, call] of Object.entries(timeouts)) {
    for (const pos of [true, false]) {
      test(`${name}(${pos ? "positional" : "{ timeout }"}) gives up after the timeout, not before and not much later`, () => {
        const r = expectTimesOut(call(pos, kTimeout), kTimeout);
        expect([false, undefined, null, "Empty", "Full", "TimeoutError", "BrokenBarrierError"]).toContainEqual(Array.isArray(r) ? (r.length === 0 ? null : r) : r);
      });
    }
  }
});
