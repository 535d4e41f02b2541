// The public types reject what Python would reject at run time: test/types/*.ts must compile,
// with every `@ts-expect-error` line really being an error.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

function tsc(project: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ["node_modules/typescript/bin/tsc", "-p", project], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, out: stdout + stderr })));
}

test("args and kwargs are checked against the target's parameters at compile time", async () => {
  const r = await tsc("test/types/tsconfig.json");
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 120_000);

test("the examples, the conformance ports and the fixtures type-check as users write them", async () => {
  const r = await tsc("tsconfig.examples.json");
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 120_000);
