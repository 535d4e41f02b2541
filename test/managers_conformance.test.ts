// The manager cases of the conformance suite (test/conformance/cases/manager_*.ts), run under
// "spawn" and "forkserver": their stdout must equal CPython's .expected byte for byte. The whole
// suite (conformance.test.ts) runs them too; this file runs only them.

import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { expectedFor } from "./conformance/known_differences.js";

const dir = fileURLToPath(new URL("./conformance/", import.meta.url));
const cases = readdirSync(`${dir}cases`).filter((f) => f.startsWith("manager_") && f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();

function run(name: string, method: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", `cases/${name}.ts`], { cwd: dir, env: { ...process.env, MP_START_METHOD: method }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }));
  });
}

describe.concurrent("managers conformance: the TypeScript ports print what CPython prints", () => {
  test("there are five manager cases", () => {
    expect(cases).toEqual(["manager_custom_basemanager", "manager_dict", "manager_namespace_value_array", "manager_sync_primitives", "manager_values_after_pool"]);
  });
  for (const name of cases) {
    const expected = expectedFor(name, readFileSync(`${dir}python/${name}.expected`, "utf8"));
    for (const method of ["spawn", "forkserver"]) {
      test(`${name} prints the CPython output under ${method}`, async () => {
        const r = await run(name, method);
        expect(r.stderr).not.toMatch(/Traceback|Error:/);
        expect(r.stdout).toBe(expected);
        expect(r.code).toBe(0);
      }, 90_000);
    }
  }
});
