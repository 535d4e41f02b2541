// Port of CPython's TestNamedResource (Lib/test/_test_multiprocessing.py; gh-90549): a Semaphore
// made at the top level of a main module that a spawned child re-imports leaks nothing: the
// program (test/fixtures/cpython/programs/named_resource.ts, CPython's script written to TESTFN)
// writes nothing on stderr.
import { describe, expect, test } from "vitest";
import { run_program } from "./support.js";

describe("TestNamedResource", () => {
  test("test_global_named_resource_spawn: a main module with a global Semaphore and a spawned child exits 0 with nothing on stderr", async () => {
    const { rc, err } = await run_program("named_resource.ts");
    expect(rc).toBe(0); // assert_python_ok
    expect(err).toBe("");
  }, 60_000);
});
