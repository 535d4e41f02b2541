// A vitest reporter that prints, at the end of a run, how many of CPython's own tests
// (test/cpython/, one file per CPython test class) were ported, how many passed, and how many
// are listed as not applicable in test/cpython/NOT_PORTED.md.
import { readFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

export default class CPythonTestsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let ported = 0;
    let passed = 0;
    let ran = false;
    for (const m of testModules) {
      if (!/[\\/]test[\\/]cpython[\\/]/.test(m.moduleId)) continue;
      for (const t of m.children.allTests()) {
        if (!t.name.startsWith("test_")) continue;
        ran = true;
        ported++;
        if (t.result().state === "passed") passed++;
      }
    }
    if (!ran) return;
    const notPorted = readFileSync(new URL("./NOT_PORTED.md", import.meta.url), "utf8")
      .split("\n")
      .filter((l) => /^\| _?Test\w+ \| (?!part:)/.test(l)).length;
    process.stdout.write(
      `\nCPython's own tests (Lib/test/_test_multiprocessing.py): ${ported} ported, of which ${passed} pass; ` +
        `${notPorted} listed as not applicable in test/cpython/NOT_PORTED.md\n`,
    );
  }
}
