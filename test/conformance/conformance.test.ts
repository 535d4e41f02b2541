// The conformance suite: each CPython script in python/ has a TypeScript port in cases/, run as a
// real program (under tsx, as users run it); its stdout must equal python/X.expected byte for
// byte, under the "spawn" and "forkserver" start methods. Seed tutorials run in their
// deterministic variant (exact) and their faithful racy variant (compared after masking numbers
// and sorting, as run_python.sh does). When python3 is present, the Python side is re-run too.

import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { casesWithStderr, expectedFor } from "./known_differences.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const cases = readdirSync(`${here}cases`).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
const hasPython = await new Promise<boolean>((res) => execFile("python3", ["--version"], (err) => res(!err)));

interface Run {
  /** Exit code, or the signal that killed the program (a crash prints nothing of its own). */
  code: number | string | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  // Buffered stdout, as run_python.sh has it: with PYTHONUNBUFFERED set (some shells and CI set
  // it), print() writes the text and its newline separately, and children's lines interleave
  // ("WorkerWorker\n\n"), so CPython's own output of pymotw_simple would vary from run to run.
  const base = { ...process.env };
  delete base.PYTHONUNBUFFERED;
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...base, ...env }, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? (err as any).signal ?? 1) : 0, stdout, stderr });
    });
  });
}

const mask = (s: string) => s.replace(/-?[0-9]+/g, "N").replace(/\b(True|False)\b/g, "B").split("\n").sort().join("\n");

describe.concurrent("conformance: TypeScript ports print what CPython prints", () => {
  for (const name of cases) {
    const cpython = readFileSync(`${here}python/${name}.expected`, "utf8");
    const expected = expectedFor(name, cpython);
    const seed = name.startsWith("seed_");
    for (const method of ["spawn", "forkserver"]) {
      test(`${name} prints the CPython output under ${method}${seed ? " (deterministic variant)" : ""}`, async () => {
        const r = await run(process.execPath, ["--import", "tsx", `cases/${name}.ts`], { MP_START_METHOD: method, SEED_DETERMINISTIC: seed ? "1" : "0" }, here);
        if (!casesWithStderr.has(name)) expect(r.stderr).not.toMatch(/Traceback|Error:/);
        expect(r.stdout).toBe(expected);
        expect(r.code, `exit status; stderr:\n${r.stderr}`).toBe(0);
      });
      if (seed) {
        test(`${name} racy variant prints the same lines up to numbers and order under ${method}`, async () => {
          const r = await run(process.execPath, ["--import", "tsx", `cases/${name}.ts`], { MP_START_METHOD: method, SEED_DETERMINISTIC: "0" }, here);
          expect(mask(r.stdout)).toBe(mask(expected));
          expect(r.code).toBe(0);
        });
      }
    }
    test.runIf(hasPython && existsSync(`${here}python/${name}.py`))(`${name}.expected still holds for CPython`, async () => {
      const r = await run("python3", [`python/${name}.py`], { SEED_DETERMINISTIC: seed ? "1" : "0", PYTHONDONTWRITEBYTECODE: "1" }, here);
      expect(r.stdout).toBe(cpython);
    });
  }
});
