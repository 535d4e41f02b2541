// The package as a new user gets it: `npm pack`, checked by publint and @arethetypeswrong/cli,
// then installed into fresh projects of every kind (ESM and CommonJS TypeScript under tsx,
// untyped TypeScript, compiled TypeScript, .mjs, .cjs), each running a two-process program.
// The install needs the npm registry (the tarball's dependencies): offline, those tests skip.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string): string => join(root, "node_modules", ".bin", name);

function run(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { cwd, timeout, env: { ...process.env, NODE_OPTIONS: "" }, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof (err as any).code === "number" ? (err as any).code : 1) : 0, out: stdout + stderr })));
}

let work: string;
let tarball: string;
let installed = false;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "mpts-pkg-"));
  const packed = await run("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", work], root);
  expect(packed.code, packed.out).toBe(0);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
  // One node_modules at the top serves every project below it (each has its own package.json).
  writeFileSync(join(work, "package.json"), JSON.stringify({ name: "consumer-root", private: true }));
  const r = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, "tsx"], work, 240_000);
  installed = r.code === 0;
  if (!installed) console.warn(`skipping the install tests: npm install failed (offline?)\n${r.out}`);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  test("publint finds no error and no warning", async () => {
    const r = await run(process.execPath, [bin("publint"), "run", "--strict", tarball], root);
    expect(r.out).not.toMatch(/Errors?:|Warnings?:/);
    expect(r.code, r.out).toBe(0);
  }, 120_000);

  test("@arethetypeswrong/cli finds no problem for any entry point, ESM or CommonJS", async () => {
    const r = await run(process.execPath, [bin("attw"), "--format", "ascii", tarball], root);
    expect(r.out).toContain("No problems found");
    expect(r.code, r.out).toBe(0);
  }, 120_000);
});

const esmProgram = (isMain: string) => `import multiprocessing from "multiprocessing-ts";
export function double(q: any, x: number): void { q.put(x * 2); }
if (multiprocessing.is_main(${isMain})) {
  const q = multiprocessing.Queue();
  const p = new multiprocessing.Process({ target: double, args: [q, 21] });
  p.start();
  console.log("got", q.get(true, 30));
  p.join();
  console.log("exitcode", p.exitcode);
}
`;
const expected = "got 42\nexitcode 0\n";

function project(name: string, pkg: object, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, ...pkg }));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe("a fresh project that installs the tarball runs a two-process program", () => {
  const tsx = () => join(work, "node_modules", ".bin", "tsx");

  test("ESM TypeScript under `tsx` and `node --import tsx`", async (ctx) => {
    if (!installed) return ctx.skip();
    const dir = project("esm-ts", { type: "module" }, { "main.ts": esmProgram("import.meta") });
    expect((await run(tsx(), ["main.ts"], dir)).out).toBe(expected);
    expect((await run(process.execPath, ["--import", "tsx", "main.ts"], dir)).out).toBe(expected);
  }, 120_000);

  test("CommonJS-type TypeScript under `tsx` and `node --import tsx`", async (ctx) => {
    if (!installed) return ctx.skip();
    const dir = project("cjs-ts", { type: "commonjs" }, { "main.ts": esmProgram("module") });
    expect((await run(tsx(), ["main.ts"], dir)).out).toBe(expected);
    expect((await run(process.execPath, ["--import", "tsx", "main.ts"], dir)).out).toBe(expected);
  }, 120_000);

  test("TypeScript in a package with no type field, under `tsx`", async (ctx) => {
    if (!installed) return ctx.skip();
    const dir = project("untyped-ts", {}, { "main.ts": esmProgram("module") });
    expect((await run(tsx(), ["main.ts"], dir)).out).toBe(expected);
  }, 120_000);

  test("TypeScript compiled by tsc to ESM", async (ctx) => {
    if (!installed) return ctx.skip();
    const dir = project("compiled-ts", { type: "module" }, {
      "main.ts": esmProgram("import.meta"),
      // The published declarations carry the checked types (test/types/ checks them in depth).
      "typed.ts": `import multiprocessing from "multiprocessing-ts";
import type { Synchronized } from "multiprocessing-ts/sharedctypes";
export function inc(v: Synchronized<number>): void { v.value += 1; }
export function f(x: number): string { return String(x); }
export function check(pool: multiprocessing.Pool): string {
  inc(multiprocessing.Value("i", 0));
  // @ts-expect-error an unknown typecode
  multiprocessing.Value("x", 0);
  // @ts-expect-error args must fit f
  pool.apply(f, ["x"]);
  return pool.apply(f, [1]);
}
`,
      "tsconfig.json": JSON.stringify({
        compilerOptions: { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", strict: true, skipLibCheck: true, outDir: "out", types: [] },
        include: ["main.ts", "typed.ts"],
      }),
    });
    const tsc = await run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."], dir);
    expect(tsc.out).toBe("");
    expect((await run(process.execPath, ["out/main.js"], dir)).out).toBe(expected);
  }, 120_000);

  test("plain .mjs", async (ctx) => {
    if (!installed) return ctx.skip();
    const dir = project("plain-mjs", {}, {
      "main.mjs": esmProgram("import.meta").replace(/\(q: any, x: number\): void/, "(q, x)"),
    });
    expect((await run(process.execPath, ["main.mjs"], dir)).out).toBe(expected);
  }, 120_000);

  test("plain .cjs with require()", async (ctx) => {
    if (!installed) return ctx.skip();
    const dir = project("plain-cjs", {}, {
      "main.cjs": `const multiprocessing = require("multiprocessing-ts");
function double(q, x) { q.put(x * 2); }
module.exports = { double };
if (multiprocessing.is_main(module)) {
  const q = multiprocessing.Queue();
  const p = new multiprocessing.Process({ target: double, args: [q, 21] });
  p.start();
  console.log("got", q.get(true, 30));
  p.join();
  console.log("exitcode", p.exitcode);
}
`,
    });
    expect((await run(process.execPath, ["main.cjs"], dir)).out).toBe(expected);
  }, 120_000);
});
