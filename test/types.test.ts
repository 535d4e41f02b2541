// The public types reject what Python would reject at run time: test/types/*.ts must compile,
// with every `@ts-expect-error` line really being an error. The examples and the test files
// themselves (tsconfig.examples.json, tsconfig.tests.json) compile against the built dist/ as a
// user's code would, so a public type too narrow for a valid call fails here.
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

test("the tests type-check: each call that the types refuse on purpose says why with @ts-expect-error", async () => {
  const r = await tsc("tsconfig.tests.json");
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 120_000);

test("a call that does not fit reads as the parameter's type, never as 'undefined'", async () => {
  const r = await tsc("test/types/errors/tsconfig.json");
  // One diagnostic block per line of test/types/errors/messages.ts.
  const at = (line: number) => r.out.split(/\n(?=test)/).find((d) => d.includes(`messages.ts(${line},`)) ?? "";
  expect(r.out).not.toMatch(/not assignable to type 'undefined'/);
  expect(at(11)).toMatch(/Argument of type .\[true, 1, "x"\]. is not assignable/); // one argument too many
  expect(at(12)).toMatch(/Argument of type '"x"' is not assignable to parameter of type 'CTypeRef \| Typecode'/);
  expect(at(13)).toMatch(/Type '"x"' is not assignable to type 'Real'/);
  expect(at(14)).toMatch(/Type 'string' is not assignable to type 'number'/);
  expect(at(15)).toMatch(/Type 'string' is not assignable to type 'number'/);
  expect(at(16)).toMatch(/Type '"x"' has no properties in common with type '\{ timeout\?:/);
  expect(at(17)).toMatch(/Argument of type '\[1, 2\]' is not assignable/); // one argument too many
  expect(at(18)).toMatch(/The last overload gave the following error\.\s+Type 'string' is not assignable to type 'number'/);
  // A target whose last parameter takes an object (a Queue) may also take `kwargs` there: a wrong
  // argument in that slot still reads as the parameter's type.
  expect(at(19)).toMatch(/Type 'number' is not assignable to type 'Queue<any>'\.\s*$/);
  expect(at(20)).toMatch(/Type 'number' is not assignable to type 'TooManyArguments'/);
  expect(r.code).not.toBe(0);
}, 120_000);
