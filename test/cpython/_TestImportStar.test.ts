// Port of CPython's _TestImportStar (Lib/test/_test_multiprocessing.py): `from <module> import *`
// works for every module of the package, i.e. every module has `__all__` and each name in it is
// an attribute of the module. Here the modules are the package's entry points (package.json's
// exports map, ESM and CommonJS), `__all__` is each module's export list, and each exported
// name must hold a value (a re-export caught in an import cycle would be undefined).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name: string; exports: Record<string, unknown> };
const require = createRequire(import.meta.url);

function get_module_names(): string[] {
  return Object.keys(pkg.exports)
    .filter((k) => !k.endsWith(".json"))
    .map((k) => (k === "." ? pkg.name : `${pkg.name}/${k.slice(2)}`));
}

describe("_TestImportStar", () => {
  test("test_import: every module of the package imports (ESM and CommonJS), and every name it exports is there", async () => {
    const modules = get_module_names();
    expect(modules).toContain("multiprocessing-ts");
    for (const name of modules) {
      for (const [how, mod] of [["import", await import(name)], ["require", require(name)]] as const) {
        const __all__ = Object.keys(mod).filter((k) => k !== "default" && k !== "__esModule");
        expect(__all__.length, `${how} ${name} exports nothing`).toBeGreaterThan(0);
        for (const attr of __all__) {
          expect(mod[attr], `${how}(${JSON.stringify(name)}) does not have attribute ${JSON.stringify(attr)}`).not.toBe(undefined);
        }
      }
    }
  }, 60_000);
});
