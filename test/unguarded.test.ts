// A program that starts a process at module top level without the is_main guard: as in Python's
// spawn, the child that re-imports the module raises CPython's bootstrapping RuntimeError and
// exits 1; the parent goes on. Never a runaway tree. And py.__name__: "__main__" / "__mp_main__".
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/byref_targets.js";
import { spawn } from "./helpers/processes.js";

const program = fileURLToPath(new URL("./fixtures/programs/unguarded.ts", import.meta.url));
const hasPython = await new Promise<boolean>((res) => execFile("python3", ["--version"], (err) => res(!err)));

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** The RuntimeError text CPython prints for the same program under spawn. */
async function cpythonText(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "unguarded-"));
  const py = join(dir, "unguarded.py");
  writeFileSync(py, [
    "import multiprocessing as mp",
    "ctx = mp.get_context('spawn')",
    "def f():",
    "    print('in f')",
    "p = ctx.Process(target=f)",
    "p.start()",
    "p.join()",
    "print('exitcode', p.exitcode)",
  ].join("\n") + "\n");
  const r = await run("python3", [py]);
  expect(r.stdout).toBe("exitcode 1\n");
  return r.stderr.slice(r.stderr.indexOf("RuntimeError:"));
}

describe("a program without the is_main guard", () => {
  test("under spawn the child raises the bootstrapping RuntimeError and exits 1; the parent goes on", async () => {
    const r = await run(process.execPath, ["--import", "tsx", program], { MP_START_METHOD: "spawn" });
    expect(r.stdout).toBe("top level, __name__ = __main__\ntop level, __name__ = __mp_main__\nexitcode 1\n");
    expect(r.stderr).toContain("RuntimeError: \n        An attempt has been made to start a new process before the\n        current process has finished its bootstrapping phase.");
    expect(r.stderr).toContain("if (multiprocessing.is_main(import.meta))");
    expect(r.code).toBe(0);
  });

  test.runIf(hasPython)("the RuntimeError's text is CPython's, word for word", async () => {
    const [ours, theirs] = await Promise.all([run(process.execPath, ["--import", "tsx", program], { MP_START_METHOD: "spawn" }), cpythonText()]);
    const text = ours.stderr.slice(ours.stderr.indexOf("RuntimeError:"));
    expect(text.startsWith(theirs.trimEnd())).toBe(true);
  });

  test("under forkserver too: the child exits 1 and nothing multiplies", async () => {
    const r = await run(process.execPath, ["--import", "tsx", program], { MP_START_METHOD: "forkserver" });
    // (warm workers preload the main module, so its top-level print may appear a few more times)
    expect(r.stdout).toContain("exitcode 1\n");
    expect(r.stdout.split("\n").length).toBeLessThan(8);
    expect(r.stderr).toContain("has finished its bootstrapping phase");
  });
});

describe("py.__name__", () => {
  test("a module that is not the program's entry is named after its file, in a child too", () => {
    expect(mp.py.__name__(import.meta)).toBe("unguarded.test");
    const q = mp.Queue();
    const p = spawn({ target: t.names, args: [q] });
    expect(q.get(true, 30)).toBe("byref_targets");
    p.join(30);
  });
});
