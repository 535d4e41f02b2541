// Loading the user's TypeScript inside a worker (no CPython counterpart: Python needs no loader).
// Node 20 does not hand tsx's hooks to workers (feasibility.md §1), so every worker that imports
// a TypeScript module registers tsx itself, from tsx's ESM entry points (its CommonJS build of the
// ESM API fails inside a worker).
//
// A .ts file of a CommonJS-type (or untyped) package is loaded by Node's CommonJS loader, which
// tsx's ESM hooks do not reach: without tsx's require hooks too, Node sees the file's `import`
// syntax, loads it as ESM from inside its own import and fails with ERR_REQUIRE_CYCLE_MODULE
// (the child died and a parent blocked in `q.get()` waited forever). Those hooks cost ~25 ms per
// worker, so they are registered only when a module needs them.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getEnvironmentData } from "node:worker_threads";
import { isTypeScriptUrl, kTsxInTreeKey } from "../shared/protocol.js";

/** The main program runs under tsx (popen/worker_thread.ts). */
const tsxInTree = getEnvironmentData(kTsxInTreeKey) === true;

const packageTypes = new Map<string, string | undefined>();

/** The "type" field of the package.json nearest to `dir` (undefined if it has none). */
function packageTypeOf(dir: string): string | undefined {
  if (packageTypes.has(dir)) return packageTypes.get(dir);
  let type: string | undefined;
  try {
    type = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).type ?? "commonjs";
  } catch {
    const parent = dirname(dir);
    type = parent === dir ? undefined : packageTypeOf(parent);
  }
  packageTypes.set(dir, type);
  return type;
}

/** True if Node loads the TypeScript module at `url` as CommonJS (.cts, or .ts in a non-"module" package). */
export function loadsAsCommonJs(url: string): boolean {
  const path = url.replace(/[?#].*$/, "");
  if (/\.cts$/.test(path)) return true;
  if (!/\.(ts|tsx)$/.test(path) || !path.startsWith("file:")) return false;
  return packageTypeOf(dirname(fileURLToPath(path))) !== "module";
}

let esmRegistered = false;
let cjsRegistered = false;

/**
 * Registers tsx's ESM hooks in this worker (once).
 * @throws Error naming the fix when tsx is not installed.
 */
export async function registerTsx(): Promise<void> {
  if (esmRegistered) return;
  let api: { register(): unknown };
  try {
    api = await import(import.meta.resolve("tsx/esm/api"));
  } catch {
    throw new Error("cannot load TypeScript modules in a child process: install tsx (`npm install tsx`), or run compiled JavaScript");
  }
  api.register();
  esmRegistered = true;
}

/** Registers whatever tsx hooks the modules at `urls` need before they are imported. */
export async function registerTsxFor(urls: Iterable<string>): Promise<void> {
  for (const url of urls) {
    // A JavaScript module of a program run under tsx may import TypeScript (a module of a
    // CommonJS-type package may require it): the hooks its .ts neighbours would need.
    const ts = isTypeScriptUrl(url) ? url : tsxInTree && url.startsWith("file:") ? url.replace(/\.[^./]*([?#].*)?$/, ".ts") : null;
    if (ts === null) continue;
    await registerTsx();
    if (!cjsRegistered && loadsAsCommonJs(ts)) {
      const cjs = (await import(import.meta.resolve("tsx/cjs/api"))) as { register?: () => unknown; default?: { register(): unknown } };
      (cjs.register ?? cjs.default!.register)();
      cjsRegistered = true;
    }
  }
}
