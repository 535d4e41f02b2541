// Builds dist/ (ESM + declarations) and dist/cjs/ (CommonJS, for require()) with the project's tsc,
// then bundles the ESM build's entry points (scripts/bundle.mjs): a thread loads a few files.
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
for (const config of ["tsconfig.json", "tsconfig.cjs.json"]) {
  execFileSync(process.execPath, [tsc, "-p", config], { stdio: "inherit", cwd: root });
}
writeFileSync(new URL("../dist/cjs/package.json", import.meta.url), JSON.stringify({ type: "commonjs" }) + "\n");
await import("./bundle.mjs");
