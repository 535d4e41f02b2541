// Nothing of CPython's test classes is silently dropped: every test method of each class ported
// under test/cpython/ (as listed by python3 from CPython's own Lib/test/_test_multiprocessing.py)
// is either a test of that class's file here (its name starts with the method's name) or a line
// of NOT_PORTED.md.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, test } from "vitest";

const here = new URL("./", import.meta.url);
const classes = readdirSync(here)
  .filter((f) => /^(_?Test\w+|OtherTest)\.test\.ts$/.test(f))
  .map((f) => f.replace(/\.test\.ts$/, ""));

let cpython: Record<string, string[]> | null = null;
try {
  const script = `
import ast, json, os, sys, test
src = open(os.path.join(os.path.dirname(test.__file__), "_test_multiprocessing.py")).read()
out = {}
for n in ast.parse(src).body:
    if isinstance(n, ast.ClassDef):
        out[n.name] = [f.name for f in n.body if isinstance(f, ast.FunctionDef) and f.name.startswith("test")]
print(json.dumps(out))`;
  cpython = JSON.parse(execFileSync("python3", ["-c", script], { encoding: "utf8" }));
} catch {
  cpython = null; // no python3 or no test package: nothing to compare against
}

const notPorted = readFileSync(new URL("NOT_PORTED.md", here), "utf8")
  .split("\n")
  .map((l) => l.split("|").map((c) => c.trim()))
  .filter((c) => c.length > 3 && /^_?Test/.test(c[1]!))
  .map((c) => `${c[1]}.${c[2]}`);

describe.skipIf(cpython === null)("the port of CPython's test suite", () => {
  for (const cls of classes) {
    if (cls === "_TestListener") continue; // holds _TestListenerClient too, checked below
    test(`every test of ${cls} is ported or listed in NOT_PORTED.md`, () => {
      checkClass(cls, cls);
    });
  }
  test("every test of _TestListener and _TestListenerClient is ported or listed in NOT_PORTED.md", () => {
    checkClass("_TestListener", "_TestListener");
    checkClass("_TestListenerClient", "_TestListener");
  });
});

function checkClass(cls: string, file: string): void {
  const methods = cpython![cls];
  expect(methods, `${cls} is not a class of CPython's _test_multiprocessing.py`).toBeDefined();
  const source = readFileSync(new URL(`${file}.test.ts`, here), "utf8");
  const missing = methods!.filter((m) => !source.includes(`test("${m}:`) && !notPorted.includes(`${cls}.${m}`));
  expect(missing).toEqual([]);
}
