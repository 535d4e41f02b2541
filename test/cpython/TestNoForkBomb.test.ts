// Port of CPython's TestNoForkBomb (Lib/test/_test_multiprocessing.py): a program without the
// main guard (test/fixtures/cpython/programs/fork_bomb.ts, CPython's mp_fork_bomb.py) fails with
// RuntimeError under spawn and forkserver instead of starting children without end. There is no
// fork start method here, so CPython's "fork" branch (prints 123) cannot be taken.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";

const program = fileURLToPath(new URL("../fixtures/cpython/programs/fork_bomb.ts", import.meta.url));

function run(args: string[]): Promise<{ rc: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ["--import", "tsx", program, ...args], { timeout: 60_000 }, (e, out, err) =>
      resolve({ rc: e ? ((e as any).code ?? 1) : 0, out, err })));
}

describe("TestNoForkBomb", () => {
  test("test_noforkbomb: a program that starts a process at import fails with RuntimeError, printing nothing", async () => {
    const sm = mp.get_start_method();
    expect(sm).not.toBe("fork");
    const { rc, out, err } = await run([sm!]);
    expect(rc).not.toBe(0); // assert_python_failure
    expect(out).toBe("");
    expect(err).toContain("RuntimeError");
  }, 60_000);
});
