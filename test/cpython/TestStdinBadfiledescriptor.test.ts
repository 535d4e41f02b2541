// Port of CPython's TestStdinBadfiledescriptor (Lib/test/_test_multiprocessing.py; issues 5155,
// 5313, 5331): a Queue and a Pool used inside a child process, and a file-like object whose
// cache is per process. CPython only checks that these run; the port also checks exitcode 0.
import mp from "multiprocessing-ts";
import { os } from "multiprocessing-ts/py";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/misc.js";
import { track } from "../helpers/processes.js";

/** CPython's _file_like: writes are cached per process and written to the delegate on flush(). */
class _file_like {
  _delegate: { write(s: string): void };
  _pid: number | null = null;
  _cache: string[] = [];
  constructor(delegate: { write(s: string): void }) {
    this._delegate = delegate;
  }
  get cache(): string[] {
    const pid = os.getpid();
    // There are no race conditions since fork keeps only the running thread
    if (pid !== this._pid) {
      this._pid = pid;
      this._cache = [];
    }
    return this._cache;
  }
  write(data: string): void {
    this.cache.push(data);
  }
  flush(): void {
    this._delegate.write(this.cache.join(""));
    this._cache = [];
  }
}

/** io.StringIO, as much as the test uses. */
class StringIO {
  #value = "";
  write(s: string): void {
    this.#value += s;
  }
  getvalue(): string {
    return this.#value;
  }
}

describe("TestStdinBadfiledescriptor", () => {
  test("test_queue_in_process: a child starts its own child, which reads an empty Queue without blocking", () => {
    const proc = track(new mp.Process({ target: f._test_process }));
    proc.start();
    proc.join();
    expect(proc.exitcode).toBe(0);
  });

  test("test_pool_in_process: a child runs a Pool of 4 and maps over it", () => {
    const p = track(new mp.Process({ target: f.pool_in_process }));
    p.start();
    p.join();
    expect(p.exitcode).toBe(0);
  });

  test("test_flushing: a file-like object flushed in the parent writes its cached data once", () => {
    const sio = new StringIO();
    const flike = new _file_like(sio);
    flike.write("foo");
    // CPython's target is `lambda: flike.flush()`; a target here is an exported function, so the
    // closure's variable becomes an argument. The process is created and never started, as there.
    const proc = new mp.Process({ target: f.flush, args: [flike] });
    void proc;
    flike.flush();
    expect(sio.getvalue()).toBe("foo");
  });
});
