// SharedMemoryManager: start/shutdown states with CPython's errors, the factories, shutdown
// unlinking everything the manager made (and only that), `.with(fn)` and `using`.
import { ProcessError } from "multiprocessing-ts";
import { AttributeError, FileNotFoundError, ValueError, repr } from "multiprocessing-ts/py";
import { SharedMemory, ShareableList, SharedMemoryManager } from "multiprocessing-ts/shared_memory";
import { describe, expect, test } from "vitest";

function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

describe("SharedMemoryManager", () => {
  test("before start() the factories raise CPython's ValueError and shutdown is missing", () => {
    const smm = new SharedMemoryManager();
    const e = thrown(() => smm.SharedMemory(9));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toBe("address type of None unrecognized");
    expect(thrown(() => smm.ShareableList([1]))).toBeInstanceOf(ValueError);
    const s = thrown(() => smm.shutdown());
    expect(s).toBeInstanceOf(AttributeError);
    expect(s.message).toBe("'SharedMemoryManager' object has no attribute 'shutdown'");
  });

  test("start() twice and after shutdown raise ProcessError; shutdown() twice is harmless", () => {
    const smm = new SharedMemoryManager();
    smm.start();
    expect(thrown(() => smm.start()).message).toBe("Already started server");
    expect(thrown(() => smm.start())).toBeInstanceOf(ProcessError);
    smm.shutdown();
    smm.shutdown();
    expect(thrown(() => smm.start()).message).toBe("Manager has shut down");
    const e = thrown(() => smm.SharedMemory(8));
    expect(e).toBeInstanceOf(FileNotFoundError);
    expect(e.message).toBe("[Errno 2] No such file or directory");
  });

  test("the factories make segments of the requested size and items, seen by name elsewhere", () => {
    const smm = new SharedMemoryManager();
    smm.start();
    try {
      const sms = smm.SharedMemory({ size: 48 });
      const sl = smm.ShareableList(["a", 1, null]);
      expect(sms).toBeInstanceOf(SharedMemory);
      expect(sl).toBeInstanceOf(ShareableList);
      expect(sms.size).toBe(48);
      expect([...sl]).toEqual(["a", 1, null]);
      const twin = new ShareableList(null, { name: sl.shm.name });
      expect(twin.length).toBe(3);
      twin.shm.close();
    } finally {
      smm.shutdown();
    }
  });

  test("shutdown() unlinks what the manager made, even if already unlinked, and nothing else", () => {
    const smm = new SharedMemoryManager();
    smm.start();
    const a = smm.SharedMemory(16);
    const b = smm.ShareableList([1, 2]);
    const c = smm.SharedMemory(16);
    c.unlink();
    const mine = new SharedMemory(null, true, 8);
    smm.shutdown();
    expect(thrown(() => new SharedMemory(a.name))).toBeInstanceOf(FileNotFoundError);
    expect(thrown(() => new ShareableList(null, { name: b.shm.name }))).toBeInstanceOf(FileNotFoundError);
    expect(new SharedMemory(mine.name).size).toBe(8);
    // instances still open keep their bytes after the unlink
    a.buf![0] = 1;
    expect(b[1]).toBe(2);
    for (const s of [a, b.shm, c, mine]) s.close();
    mine.unlink();
  });

  test(".with(fn) starts the manager, hands it over, and shuts it down even on error", () => {
    let name = "";
    const r = new SharedMemoryManager().with((smm) => {
      name = smm.ShareableList("howdy").shm.name;
      return "done";
    });
    expect(r).toBe("done");
    expect(thrown(() => new SharedMemory(name))).toBeInstanceOf(FileNotFoundError);
    expect(() =>
      new SharedMemoryManager().with((smm) => {
        name = smm.SharedMemory(8).name;
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(thrown(() => new SharedMemory(name))).toBeInstanceOf(FileNotFoundError);
  });

  test("`using` shuts a started manager down at the end of the scope", () => {
    let name = "";
    {
      using smm = new SharedMemoryManager();
      smm.start();
      name = smm.SharedMemory(8).name;
      expect(new SharedMemory(name).size).toBe(8);
    }
    expect(thrown(() => new SharedMemory(name))).toBeInstanceOf(FileNotFoundError);
  });

  test("repr is CPython's object repr", () => {
    expect(repr(new SharedMemoryManager())).toMatch(/^<multiprocessing\.managers\.SharedMemoryManager object at 0x[0-9a-f]+>$/);
  });
});
