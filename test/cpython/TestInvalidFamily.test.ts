// Port of CPython's TestInvalidFamily (Lib/test/_test_multiprocessing.py): a Listener on an
// address of the other platform's family raises ValueError.
import { Listener } from "multiprocessing-ts/connection";
import { describe, expect, test } from "vitest";
import mp from "multiprocessing-ts";

describe("TestInvalidFamily", () => {
  test("test_invalid_family: a Windows named-pipe address raises ValueError elsewhere", ({ skip }) => {
    skip(process.platform === "win32", "skipped on Windows");
    expect(() => new Listener("\\\\.\\test")).toThrow(mp.py.ValueError);
  });
});
