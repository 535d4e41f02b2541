// SharedMemory: the bytes, the name, close()/unlink(), every error of CPython with its text,
// attaching by name from children (made before or after they started, while the parent is busy
// writing), passing one to a child, a segment outliving its creator, the memory being released
// once unlinked and closed, and a child that cannot reach the registry failing instead of hanging.
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import mp from "multiprocessing-ts";
import { FileExistsError, FileNotFoundError, IndexError, OSError, TypeError, ValueError, repr } from "multiprocessing-ts/py";
import { memoryview, SharedMemory } from "multiprocessing-ts/shared_memory";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/shm_targets.js";
import { spawn, track } from "./helpers/processes.js";

const programs = fileURLToPath(new URL("./fixtures/programs/", import.meta.url));
let serial = 0;
const uniqueName = () => `shmtest_${process.pid}_${++serial}`;

function runProgram(args: string[], timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: programs, timeout }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }));
  });
}

function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

describe("SharedMemory in one process", () => {
  test("a created block has a Buffer over zero-filled shared bytes, its name and its size", () => {
    const name = uniqueName();
    const shm = new SharedMemory(name, true, 512);
    try {
      expect(Buffer.isBuffer(shm.buf)).toBe(true);
      expect(shm.buf!.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shm.buf!.length).toBe(512);
      expect(shm.buf!.every((b) => b === 0)).toBe(true);
      expect(shm.name).toBe(name);
      expect(shm.size).toBe(512);
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("buf is a Buffer of class memoryview whose __getitem__/__setitem__ raise as CPython's memoryview does", () => {
    const shm = new SharedMemory(null, true, 4);
    try {
      const buf = shm.buf!;
      expect(buf).toBeInstanceOf(Buffer);
      expect(buf).toBeInstanceOf(memoryview);
      expect(buf.constructor.name).toBe("memoryview");
      expect([buf.format, buf.itemsize, buf.nbytes, buf.readonly]).toEqual(["B", 1, 4, false]);
      buf.__setitem__(-1, 255);
      buf.__setitem__(0, true);
      expect([buf.__getitem__(3), buf.__getitem__(-4), buf[3]]).toEqual([255, 1, 255]);
      // Buffer's own methods work on it, over the shared bytes.
      buf.writeUInt16LE(0x0201, 1);
      expect(buf.toString("hex")).toBe("010102ff");
      expect(buf.tobytes()).toEqual(Buffer.from([1, 1, 2, 255]));
      expect(buf.tolist()).toEqual([1, 1, 2, 255]);
      const cases: [() => unknown, unknown, string][] = [
        [() => buf.__getitem__(4), IndexError, "index out of bounds on dimension 1"],
        [() => buf.__getitem__(-5), IndexError, "index out of bounds on dimension 1"],
        [() => buf.__getitem__(1.5), TypeError, "memoryview: invalid slice key"],
        [() => buf.__setitem__(4, 1), IndexError, "index out of bounds on dimension 1"],
        [() => buf.__setitem__(9, 1.5), IndexError, "index out of bounds on dimension 1"],
        [() => buf.__setitem__(0, 256), ValueError, "memoryview: invalid value for format 'B'"],
        [() => buf.__setitem__(0, -1), ValueError, "memoryview: invalid value for format 'B'"],
        [() => buf.__setitem__(0, 1.5), TypeError, "memoryview: invalid type for format 'B'"],
      ];
      for (const [fn, cls, message] of cases) {
        const e = thrown(fn);
        expect(e).toBeInstanceOf(cls);
        expect(e.message).toBe(message);
      }
      expect(buf.toString("hex")).toBe("010102ff"); // nothing written by the refused calls
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("a generated name is psm_ and 8 hex digits, distinct each time", () => {
    const a = new SharedMemory({ create: true, size: 10 });
    const b = new SharedMemory(null, true, 10);
    try {
      expect(a.name).toMatch(/^psm_[0-9a-f]{8}$/);
      expect(b.name).toMatch(/^psm_[0-9a-f]{8}$/);
      expect(a.name).not.toBe(b.name);
    } finally {
      for (const s of [a, b]) (s.close(), s.unlink());
    }
  });

  test("positional, keyword and mixed forms bind as Python binds them", () => {
    const name = uniqueName();
    const shm = new SharedMemory(name, { create: true, size: 8 });
    try {
      expect(new SharedMemory({ name }).size).toBe(8);
      expect(new SharedMemory(name, false, 1000).size).toBe(8); // an attach's size is ignored
      expect(() => new SharedMemory(name, { sise: 3 } as any)).toThrow("SharedMemory.__init__() got an unexpected keyword argument 'sise'");
      expect(() => new SharedMemory(name, { name } as any)).toThrow("SharedMemory.__init__() got multiple values for argument 'name'");
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("writes through one instance are seen by another attached by name", () => {
    const name = uniqueName();
    const a = new SharedMemory(name, true, 64);
    const b = new SharedMemory(name);
    try {
      a.buf![3] = 42;
      a.buf!.write("hi", 10);
      expect(b.buf![3]).toBe(42);
      expect(b.buf!.toString("latin1", 10, 12)).toBe("hi");
      new Float64Array(b.buf!.buffer, 16, 1)[0] = 2.5;
      expect(new Float64Array(a.buf!.buffer, 16, 1)[0]).toBe(2.5);
    } finally {
      b.close();
      a.close();
      a.unlink();
    }
  });

  test("close() is idempotent and leaves buf null; name, size and repr stay", () => {
    const name = uniqueName();
    const shm = new SharedMemory(name, true, 32);
    shm.close();
    expect(shm.buf).toBeNull();
    expect(shm.close()).toBeUndefined();
    expect(shm.name).toBe(name);
    expect(shm.size).toBe(32);
    expect(repr(shm)).toBe(`SharedMemory('${name}', size=32)`);
    expect(String(shm)).toBe(`SharedMemory('${name}', size=32)`);
    expect(inspect(shm)).toBe(`SharedMemory('${name}', size=32)`);
    shm.unlink();
  });

  test("the size rules raise CPython's ValueErrors, checked in CPython's order", () => {
    const cases: [() => unknown, string][] = [
      [() => new SharedMemory({ create: true, size: -2 }), "'size' must be a positive integer"],
      [() => new SharedMemory({ name: "x", size: -1 }), "'size' must be a positive integer"],
      [() => new SharedMemory({ create: true, size: 0 }), "'size' must be a positive number different from zero"],
      [() => new SharedMemory({ create: true }), "'size' must be a positive number different from zero"],
      [() => new SharedMemory({ create: false }), "'name' can only be None if create=True"],
      [() => new SharedMemory(), "'name' can only be None if create=True"],
    ];
    for (const [fn, text] of cases) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(ValueError);
      expect(e.message).toBe(text);
    }
    expect(thrown(() => new SharedMemory({ create: true, size: 1.5 }))).toBeInstanceOf(TypeError);
    expect(thrown(() => new SharedMemory({ create: true, size: "3" as any })).message).toBe("'>=' not supported between instances of 'str' and 'int'");
  });

  test("creating a name in use raises FileExistsError [Errno 17] with the POSIX name", () => {
    const name = uniqueName();
    const shm = new SharedMemory(name, true, 16);
    try {
      const e = thrown(() => new SharedMemory(name, true, 16));
      expect(e).toBeInstanceOf(FileExistsError);
      expect(e.name).toBe("FileExistsError");
      expect(e.errno).toBe(17);
      expect(e.message).toBe(`[Errno 17] File exists: '/${name}'`);
      expect(e.filename).toBe(`/${name}`);
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("attaching to a missing name and unlinking twice raise FileNotFoundError [Errno 2]", () => {
    const e = thrown(() => new SharedMemory("shmtest_not_there"));
    expect(e).toBeInstanceOf(FileNotFoundError);
    expect(e.errno).toBe(2);
    expect(e.message).toBe("[Errno 2] No such file or directory: '/shmtest_not_there'");
    const name = uniqueName();
    const shm = new SharedMemory(name, true, 16);
    shm.unlink();
    expect(thrown(() => shm.unlink()).message).toBe(`[Errno 2] No such file or directory: '/${name}'`);
    expect(thrown(() => new SharedMemory(name))).toBeInstanceOf(FileNotFoundError);
    // Still open here after unlink, as with POSIX shm: the bytes stay usable.
    shm.buf![0] = 9;
    expect(shm.buf![0]).toBe(9);
    shm.close();
  });

  test("names shm_open refuses raise its OSErrors: EINVAL for '/' or '', ENAMETOOLONG past 255 bytes", () => {
    const slash = thrown(() => new SharedMemory("a/b", true, 1));
    expect(slash).toBeInstanceOf(OSError);
    expect(slash.message).toBe("[Errno 22] Invalid argument: '/a/b'");
    expect(thrown(() => new SharedMemory("a/b")).errno).toBe(22);
    expect(thrown(() => new SharedMemory("", true, 1)).message).toBe("[Errno 22] Invalid argument: '/'");
    const long = thrown(() => new SharedMemory("x".repeat(256), true, 1));
    expect(long.errno).toBe(36);
    expect(long.message).toBe(`[Errno 36] File name too long: '/${"x".repeat(256)}'`);
    const ok = new SharedMemory("y".repeat(255), true, 1);
    ok.close();
    ok.unlink();
  });

  test("thousands of create/unlink cycles keep the name directory consistent", () => {
    const keep = Array.from({ length: 50 }, (_, i) => new SharedMemory(`${uniqueName()}_keep${i}`, true, 4));
    keep.forEach((s, i) => (s.buf![0] = i));
    for (let i = 0; i < 3000; i++) {
      const s = new SharedMemory(`${uniqueName()}_tmp`, true, 4);
      s.close();
      s.unlink();
    }
    keep.forEach((s, i) => {
      const again = new SharedMemory(s.name);
      expect(again.buf![0]).toBe(i);
      again.close();
      s.close();
      s.unlink();
      expect(thrown(() => new SharedMemory(s.name))).toBeInstanceOf(FileNotFoundError);
    });
  });

  test("an unlinked name can be created again, as a new block", () => {
    const name = uniqueName();
    const old = new SharedMemory(name, true, 16);
    old.buf![0] = 1;
    old.unlink();
    const fresh = new SharedMemory(name, true, 32);
    try {
      expect(fresh.size).toBe(32);
      expect(fresh.buf![0]).toBe(0);
      expect(old.buf![0]).toBe(1);
    } finally {
      old.close();
      fresh.close();
      fresh.unlink();
    }
  });

  test("__reduce__ gives what re-attaches by name (pickle's round trip)", () => {
    const shm = new SharedMemory(null, true, 16);
    const [cls, args] = shm.__reduce__();
    const copy = new cls(...args);
    copy.buf![0] = 5;
    expect(shm.buf![0]).toBe(5);
    copy.close();
    shm.close();
    shm.unlink();
    expect(thrown(() => new cls(...args))).toBeInstanceOf(FileNotFoundError);
  });
});

describe.concurrent("SharedMemory across processes", () => {
  test("a child attaches by name to a block made before it started and writes into it", () => {
    const name = uniqueName();
    const shm = new SharedMemory(name, true, 16);
    try {
      const p = spawn({ target: t.attachAndWrite, args: [name, Buffer.from("howdy")] });
      p.join(30);
      expect(p.exitcode).toBe(0);
      expect(shm.buf!.toString("latin1", 0, 5)).toBe("howdy");
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("a SharedMemory passed as a Process argument re-attaches by name in the child", () => {
    const shm = new SharedMemory(null, true, 16);
    try {
      const p = spawn({ target: t.attachAndWrite, args: [shm, Buffer.from("HELLO")] });
      p.join(30);
      expect(p.exitcode).toBe(0);
      expect(shm.buf!.toString("latin1", 0, 5)).toBe("HELLO");
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("a child attaches to a block made after it started, and sees its real size", () => {
    const names = mp.Queue();
    const out = mp.Queue();
    const p = spawn({ target: t.attachLater, args: [names, out] });
    const shm = new SharedMemory(null, true, 100);
    try {
      shm.buf!.write("late");
      names.put(shm.name);
      expect(out.get(true, 30)).toEqual(Buffer.from("late"));
      p.join(30);
      const q = mp.Queue();
      const r = spawn({ target: t.attachAndRead, args: [shm.name, 2, q] });
      expect(q.get(true, 30)).toEqual([100, Buffer.from("la")]);
      r.join(30);
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("a warm child attaching blocks made after its last attach gets each name's current block, unlinked or made again", () => {
    const names = mp.Queue();
    const out = mp.Queue();
    const p = spawn({ target: t.attachSeries, args: [names, out] });
    const made: SharedMemory[] = [];
    const make = (name: string | null, size: number, text: string) => {
      const s = new SharedMemory(name, true, size);
      s.buf!.write(text);
      made.push(s);
      return s;
    };
    try {
      names.put(make(null, 8, "AAAA").name); // the child's first attach: from now on it is sent new blocks
      expect(out.get(true, 30)).toEqual([8, Buffer.from("AAAA")]);
      for (let i = 0; i < 20; i++) {
        const s = make(null, 16 + i, `B${String(i).padStart(3, "0")}`);
        names.put(s.name);
        expect(out.get(true, 30)).toEqual([16 + i, Buffer.from(`B${String(i).padStart(3, "0")}`)]);
      }
      // A name unlinked after it was sent ahead, then one made again under the same name.
      const name = uniqueName();
      const first = make(name, 32, "OLD1");
      first.close();
      first.unlink();
      names.put(name);
      expect(out.get(true, 30)).toBe("FileNotFoundError");
      make(name, 48, "NEW2");
      names.put(name);
      expect(out.get(true, 30)).toEqual([48, Buffer.from("NEW2")]);
      names.put(null);
      p.join(30);
      expect(p.exitcode).toBe(0);
    } finally {
      for (const s of made) {
        s.close();
        try {
          s.unlink();
        } catch {}
      }
    }
  });

  test("a child attaches by name while the parent is busy writing, not waiting", () => {
    const shm = new SharedMemory(null, true, 16);
    const cells = new Int32Array(shm.buf!.buffer, 0, 4);
    try {
      const p = spawn({ target: t.watchCounter, args: [shm.name] });
      // The parent never blocks or yields here: the child's attach is answered by the registry.
      const deadline = Date.now() + 30_000;
      let n = 0;
      while (Atomics.load(cells, 3) === 0 && Date.now() < deadline) Atomics.store(cells, 0, ++n);
      expect(Atomics.load(cells, 3)).toBe(1);
      expect(Atomics.load(cells, 2)).toBeGreaterThan(0);
      expect(Atomics.load(cells, 2)).toBeLessThanOrEqual(n);
      p.join(30);
      expect(p.exitcode).toBe(0);
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("a block made by a child outlives the child until someone unlinks it", () => {
    const name = uniqueName();
    new SharedMemory(null, true, 1).unlink(); // the registry runs before the child needs it
    const p = spawn({ target: t.createAndLeave, args: [name, 8, 0xab] });
    p.join(30);
    expect(p.exitcode).toBe(0);
    const shm = new SharedMemory(name);
    expect(shm.size).toBe(8);
    expect([...shm.buf!]).toEqual(Array(8).fill(0xab));
    shm.close();
    shm.unlink();
  });

  test("processes creating, unlinking and attaching names at once all see a consistent set of names", () => {
    new SharedMemory(null, true, 1).unlink();
    const tag = uniqueName();
    const q = mp.Queue();
    const procs = [
      spawn({ target: t.churn, args: [`${tag}a`, 150] }),
      spawn({ target: t.churn, args: [`${tag}b`, 150] }),
      spawn({ target: t.attachAll, args: [`${tag}a`, 150, q] }),
    ];
    t.churn(`${tag}c`, 150); // the parent churns too
    expect(q.get(true, 60)).toBe(150);
    for (const p of procs) {
      p.join(60);
      expect(p.exitcode).toBe(0);
    }
    for (const x of ["a", "b", "c"]) {
      for (let i = 0; i < 150; i++) {
        const s = new SharedMemory(`${tag}${x}_${i}`);
        expect(s.size).toBe(i % 3 === 0 ? 16 : 8);
        expect(s.buf![0]).toBe((i % 3 === 0 ? i + 1 : i) % 256);
        s.close();
        s.unlink();
      }
    }
  });

  test("processes run one after another on a reused forkserver worker each attach and create", () => {
    const ctx = mp.get_context("forkserver");
    const shm = new SharedMemory(null, true, 8);
    try {
      for (let i = 0; i < 5; i++) {
        const p = track(new ctx.Process({ target: t.attachAndWrite, args: [shm.name, Buffer.from([i + 1])] }));
        p.start();
        p.join(30);
        expect(p.exitcode).toBe(0);
        expect(shm.buf![0]).toBe(i + 1);
        const name = `${uniqueName()}_fs${i}`;
        const c = track(new ctx.Process({ target: t.createAndLeave, args: [name, 4, i] }));
        c.start();
        c.join(30);
        const made = new SharedMemory(name);
        expect([...made.buf!]).toEqual([i, i, i, i]);
        made.close();
        made.unlink();
      }
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test("a child gets CPython's FileNotFoundError for a missing name", () => {
    const q = mp.Queue();
    const p = spawn({ target: t.attachError, args: ["shmtest_absent", q] });
    expect(q.get(true, 30)).toEqual(["FileNotFoundError", "[Errno 2] No such file or directory: '/shmtest_absent'"]);
    p.join(30);
  });
});

describe.concurrent("SharedMemory lifetime (whole programs)", () => {
  test("memory is released once the block is unlinked and every instance is closed", async () => {
    const r = await runProgram(["--expose-gc", "--import", "tsx", "shm_free.ts"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("created 64\nunlinked, one still open 64 3\nunlinked and closed 0\n");
  });

  test("a child that ends without close() on a warm forkserver worker holds nothing once it is unlinked; nothing outlives the program", async () => {
    const before = existsSync("/dev/shm") ? readdirSync("/dev/shm") : [];
    const r = await runProgram(["--expose-gc", "--import", "tsx", "shm_unclosed.ts"], 150_000); // slow on a loaded machine
    expect(r.stderr).toBe("");
    const m = /^forkserver child exited 0 5\nbefore unlink (\d+)\nunlinked and closed (\d+)\nleft open and linked: (psm_[0-9a-f]{8})\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1]) - Number(m![2])).toBeGreaterThanOrEqual(64); // the 64 MB segment went
    // The program ended with a segment linked and open: no /dev/shm entry stays behind.
    const after = existsSync("/dev/shm") ? readdirSync("/dev/shm") : [];
    expect(after).not.toContain(m![3]);
    expect(after.filter((f) => !before.includes(f) && f.startsWith("psm_"))).toEqual([]);
  });

  test("workers started before the main thread loaded shared_memory attach and create, the main thread blocked meanwhile", async () => {
    const r = await runProgram(["--import", "tsx", "shm_late.ts"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("bumped\n42\n7\n");
    expect(r.code).toBe(0);
  });

  test("a child may use shared_memory first while the main thread's event loop runs", async () => {
    const r = await runProgram(["--import", "tsx", "shm_child_first.ts"]);
    expect(r.stdout).toBe("ok\nin time\n7\n");
    expect(r.code).toBe(0);
  });

  test("a child that cannot reach the registry (main blocked in join) fails with a clear error instead of hanging", async () => {
    const r = await runProgram(["--import", "tsx", "shm_child_first.ts", "--blocked"]);
    expect(r.stdout).toMatch(/^RuntimeError: shared_memory: the segment registry could not be reached within 5 s\. .*main thread.*\nin time\n$/);
    expect(r.code).toBe(0);
  });
});
