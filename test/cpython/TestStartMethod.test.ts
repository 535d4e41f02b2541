// Port of CPython's TestStartMethod (Lib/test/_test_multiprocessing.py). There is no "fork"
// here: the loops over ('fork', 'spawn', 'forkserver') skip it as CPython skips a method that
// get_context() refuses with ValueError.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/start_method.js";
import { track } from "../helpers/processes.js";
import { run_program } from "./support.js";

function check_context(ctx: any): void {
  const [r, w] = ctx.Pipe(false);
  const p = track(new ctx.Process({ target: f.check_context, args: [w] }));
  p.start();
  w.close();
  const child_method = r.recv();
  r.close();
  p.join();
  expect(child_method).toBe(ctx.get_start_method());
}

function getContext(method: string): any {
  try {
    return mp.get_context(method);
  } catch (e) {
    if ((e as Error).name === "ValueError") return null;
    throw e;
  }
}

describe("TestStartMethod", () => {
  test("test_context: each context names its method, is its own get_context(), refuses set_start_method, and its children report it", () => {
    for (const method of ["fork", "spawn", "forkserver"]) {
      const ctx = getContext(method);
      if (ctx === null) continue;
      expect(ctx.get_start_method()).toBe(method);
      expect(ctx.get_context()).toBe(ctx);
      expect(() => ctx.set_start_method("spawn")).toThrow(mp.py.ValueError);
      expect(() => ctx.set_start_method(null)).toThrow(mp.py.ValueError);
      check_context(ctx);
    }
  });

  test("test_context_check_module_types: set_forkserver_preload() refuses a list that is not of strings", () => {
    const ctx = mp.get_context("forkserver");
    expect(() => ctx.set_forkserver_preload([1, 2, 3] as any)).toThrow(
      expect.objectContaining({ name: "TypeError", message: expect.stringMatching(/module_names must be a list of strings/) }),
    );
  });

  test("test_set_get: set_start_method(force=True) changes the default context, its Process class and what children report", () => {
    let count = 0;
    const old_method = mp.get_start_method();
    try {
      for (const method of ["fork", "spawn", "forkserver"]) {
        try {
          mp.set_start_method(method, { force: true });
        } catch (e) {
          if ((e as Error).name === "ValueError") continue;
          throw e;
        }
        expect(mp.get_start_method()).toBe(method);
        const ctx = mp.get_context();
        expect(ctx.get_start_method()).toBe(method);
        expect(ctx.constructor.name.toLowerCase().startsWith(method)).toBe(true);
        expect((ctx as any).Process.name.toLowerCase().startsWith(method)).toBe(true);
        check_context(mp);
        count += 1;
      }
    } finally {
      mp.set_start_method(old_method, { force: true });
    }
    expect(count).toBeGreaterThanOrEqual(1);
  });

  test("test_mixed_startmethod: queues of every context work with processes of every start method", () => {
    // CPython's first half (a fork-context queue refused by spawn and forkserver) needs "fork":
    // NOT_PORTED.md.
    for (const queue_method of ["spawn", "forkserver"]) {
      for (const process_method of mp.get_all_start_methods()) {
        const queue = mp.get_context(queue_method).Queue();
        const process_ctx: any = mp.get_context(process_method);
        const p = track(new process_ctx.Process({ target: f.close_queue, args: [queue] }));
        p.start();
        p.join();
      }
    }
  });

  test("test_nested_startmethod: a child can pass its own arguments on to a grandchild", () => {
    const queue = mp.Queue();
    const process = track(new mp.Process({ target: f.put_two_and_nest_once, args: [queue] }));
    process.start();
    process.join();

    const results: unknown[] = [];
    while (!queue.empty()) results.push(queue.get());
    expect(new Set(results)).toEqual(new Set([2, 1]));
  });

  test("test_preload_resources: a forkserver that preloads a module making a Lock at import starts its process, which prints ok", async () => {
    // CPython runs Lib/test/mp_preload.py (only when its suite's start method is forkserver; the
    // script itself asks for the forkserver context): here test/fixtures/cpython/programs/mp_preload.ts.
    const { out, err } = await run_program("mp_preload.ts");
    if (out.trimEnd() !== "ok" || err !== "") {
      console.log(out);
      console.log(err);
      expect.fail("failed spawning forkserver or grandchild");
    }
  }, 60_000);
});
