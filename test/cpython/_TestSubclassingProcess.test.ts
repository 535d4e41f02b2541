// Port of CPython's _TestSubclassingProcess (Lib/test/_test_multiprocessing.py), "processes"
// flavour. CPython's child redirects its own sys.stderr to a file; here the child's stderr is
// the program's, so the port runs a program and reads what its child wrote there.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import mp from "multiprocessing-ts";
import { UpperCaser } from "../fixtures/cpython/process.js";
import { track } from "../helpers/processes.js";
import { join_process } from "./support.js";

const program = fileURLToPath(new URL("../fixtures/cpython/programs/stderr_flush.ts", import.meta.url));

function run(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ["--import", "tsx", program, ...args], { timeout: 60_000 }, (_err, stdout, stderr) => resolve({ stdout, stderr })));
}

describe("_TestSubclassingProcess", () => {
  test("test_subclassing: a Process subclass with its own run() serves requests over its Pipe", () => {
    const uppercaser = track(new UpperCaser());
    uppercaser.daemon = true;
    uppercaser.start();
    expect(uppercaser.submit("hello")).toBe("HELLO");
    expect(uppercaser.submit("world")).toBe("WORLD");
    uppercaser.stop();
    uppercaser.join();
  });

  test("test_stderr_flush: a child's whole traceback is on stderr when it has exited", async () => {
    const r = await run(["divide"]);
    expect(r.stdout).toBe("exitcode 1\n");
    // The whole traceback was printed
    expect(r.stderr).toContain("ValueError");
    expect(r.stderr).toContain("stderr_flush.ts");
    expect(r.stderr).toContain("1/0 # MARKER");
  }, 60_000);

  test("test_sys_exit: sys.exit() with a non-integer prints it and exits 1; True, False, 8, None and no argument give 1, 0, 8, 0, 0", async () => {
    for (const reason of [[1, 2, 3], "ignore this"]) {
      const r = await run(["exit", JSON.stringify(reason)]);
      expect(r.stdout).toBe("exitcode 1\n");
      expect(r.stderr.trimEnd()).toBe(mp.py.str(reason));
    }
    const cases: [unknown[], number][] = [[[true], 1], [[false], 0], [[8], 8], [[null], 0], [[], 0]];
    for (const [args, expected] of cases) {
      const p = track(new mp.Process({ target: mp.py.sys.exit, args: args as [unknown] }));
      p.daemon = true;
      p.start();
      join_process(p);
      expect(p.exitcode).toBe(expected);
    }
  }, 60_000);
});
