// Nothing of CPython's test classes is silently dropped: every test method of each class ported
// under test/cpython/ (as listed by python3 from CPython's own Lib/test/_test_multiprocessing.py)
// is either a test of that class's file here (its name starts with the method's name) or a line
// of NOT_PORTED.md; every class that issue #18 names has its own file; NOT_PORTED.md names only
// real, unported tests, each with a reason; and the README's count is the one computed here.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, test } from "vitest";

const here = new URL("./", import.meta.url);
const classes = readdirSync(here)
  .filter((f) => /^(_?Test\w+|OtherTest)\.test\.ts$/.test(f))
  .map((f) => f.replace(/\.test\.ts$/, ""));

/** The classes issue #18 asks for (its "_TestStartMethod" is CPython's TestStartMethod). */
const required = [
  "_TestProcess", "_TestSubclassingProcess", "_TestQueue", "_TestLock", "_TestSemaphore", "_TestCondition",
  "_TestEvent", "_TestValue", "_TestArray", "_TestBarrier", "_TestPool", "_TestPoolWorkerErrors",
  "_TestPoolWorkerLifetime", "_TestConnection", "_TestPoll", "TestStartMethod", "TestWait", "_TestContainers",
  "_TestManagerRestart", "_TestSharedMemory", "_TestListener", "_TestListenerClient",
];

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

interface NotPortedLine {
  cls: string;
  tests: string[];
  part: boolean;
  reason: string;
}
const notPortedLines: NotPortedLine[] = readFileSync(new URL("NOT_PORTED.md", here), "utf8")
  .split("\n")
  .map((l) => l.split("|").map((c) => c.trim()))
  .filter((c) => c.length > 3 && /^_?Test|^OtherTest$/.test(c[1]!))
  .map((c) => {
    const part = c[2]!.startsWith("part:");
    return { cls: c[1]!, tests: c[2]!.replace(/^part:/, "").split(",").map((t) => t.trim()), part, reason: c[3]! };
  });
const notPorted = notPortedLines.filter((l) => !l.part).flatMap((l) => l.tests.map((t) => `${l.cls}.${t}`));

/** The CPython method names that a file's vitest tests port (a test's name starts with `name:`). */
function portedIn(cls: string): string[] {
  const source = readFileSync(new URL(`${cls}.test.ts`, here), "utf8");
  // At the start of a line: a test inside a comment does not count.
  return [...source.matchAll(/^\s*test\("(test\w*):/gm)].map((m) => m[1]!);
}

/** Tests of `names` ported, and how many there are, from CPython's file. */
function counts(names: string[]): { total: number; ported: number } {
  let total = 0;
  let ported = 0;
  for (const cls of names) {
    const methods = cpython![cls] ?? [];
    const got = new Set(portedIn(cls));
    total += methods.length;
    ported += methods.filter((m) => got.has(m)).length;
  }
  return { total, ported };
}

describe.skipIf(cpython === null)("the port of CPython's test suite", () => {
  for (const cls of classes) {
    test(`every test of ${cls} is ported or listed in NOT_PORTED.md, and each is ported once`, () => {
      const methods = cpython![cls];
      expect(methods, `${cls} is not a class of CPython's _test_multiprocessing.py`).toBeDefined();
      const ported = portedIn(cls);
      expect(ported.filter((m) => !methods!.includes(m)), "tests named after no CPython test of the class").toEqual([]);
      expect(ported.filter((m, i) => ported.indexOf(m) !== i), "CPython tests ported twice (the count would be inflated)").toEqual([]);
      expect(methods!.filter((m) => !ported.includes(m) && !notPorted.includes(`${cls}.${m}`))).toEqual([]);
    });
  }

  test("every class issue #18 names has its own file", () => {
    expect(required.filter((c) => !classes.includes(c))).toEqual([]);
    for (const c of required) expect(cpython![c], `${c} is not a class of CPython's file`).toBeDefined();
  });

  test("NOT_PORTED.md lists only real tests of ported classes, each once, with a reason that is not difficulty", () => {
    for (const line of notPortedLines) {
      const where = `${line.cls} | ${line.tests.join(", ")}`;
      expect(classes, where).toContain(line.cls);
      const ported = portedIn(line.cls);
      for (const t of line.tests) {
        expect(cpython![line.cls], where).toContain(t);
        // A whole test listed must not be ported; a "part:" line is about a ported test.
        expect(ported.includes(t), `${where}: ${line.part ? "part of a test that is not ported" : "listed but ported"}`).toBe(line.part);
      }
      expect(line.reason.length, `${where}: no reason`).toBeGreaterThan(20);
      expect(line.reason, where).not.toMatch(/\b(hard|flaky|difficult|tricky|too slow|takes too long|time budget)\b/i);
    }
    expect(notPorted.filter((t, i) => notPorted.indexOf(t) !== i), "listed twice").toEqual([]);
  });

  test("the README's count is the one computed from CPython's file", () => {
    const all = counts(classes);
    const req = counts(required);
    const pct = (c: { total: number; ported: number }) => ((100 * c.ported) / c.total).toFixed(1);
    const readme = readFileSync(new URL("../../README.md", here), "utf8").replace(/\s+/g, " ");
    expect(readme).toContain(
      `Currently ${classes.length} classes: ${all.ported} of their ${all.total} CPython tests ported (${pct(all)}%), ` +
        `the other ${all.total - all.ported} listed; of the ${req.total} tests of the ${required.length} core classes ` +
        `(those of processes, locks, queues, shared values, pools, pipes, managers, shared memory and listeners), ` +
        `${req.ported} ported (${pct(req)}%).`,
    );
  });
});
