// `npm run demo`: runs every translated tutorial in examples/ (TypeScript, under tsx), one
// after the other, and shows the Python 3 original's path beside each. `--python` runs the
// original too, when python3 is installed.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const withPython = process.argv.includes("--python");
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const examples = readdirSync(`${root}examples`, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`${root}examples/${d.name}/main.ts`))
  .map((d) => d.name)
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

let failed = 0;
for (const name of examples) {
  process.stdout.write(`\n=== examples/${name}/main.ts  (Python original: examples/${name}/main.py)\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", `examples/${name}/main.ts`], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`!!! ${name} exited with ${r.status}\n`);
  }
  if (withPython) {
    process.stdout.write(`--- python3 examples/${name}/main.py\n`);
    spawnSync("python3", [`examples/${name}/main.py`], { cwd: root, stdio: "inherit", env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  }
}
process.stdout.write(`\n${examples.length - failed} of ${examples.length} tutorials ran.\n`);
process.exit(failed ? 1 : 0);
