// `npm run demo`: runs every translated tutorial in examples/ (TypeScript, under tsx), one
// after the other, and shows the Python 3 original's path beside each. `--python` runs the
// original too, when python3 is installed. An example whose main.ts reads REDIS_URL (the
// distributed Pool) gets a private redis-server on a free loopback port, started here and stopped
// after it; without redis-server on the machine it is skipped, saying so.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const withPython = process.argv.includes("--python");
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const examples = readdirSync(`${root}examples`, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`${root}examples/${d.name}/main.ts`))
  .map((d) => d.name)
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) return null;
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const s = connect(port, "127.0.0.1", () => { s.end(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (up) return { child, url: `redis://127.0.0.1:${port}` };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  return null;
}

let failed = 0;
let skipped = 0;
for (const name of examples) {
  process.stdout.write(`\n=== examples/${name}/main.ts  (Python original: examples/${name}/main.py)\n`);
  const needsRedis = readFileSync(`${root}examples/${name}/main.ts`, "utf8").includes("REDIS_URL");
  let redis = null;
  if (needsRedis && !process.env.REDIS_URL) {
    redis = await startRedis();
    if (!redis) {
      skipped++;
      process.stdout.write(`(skipped: this example needs a Redis server; install redis-server or set REDIS_URL)\n`);
      continue;
    }
  }
  const env = redis ? { ...process.env, REDIS_URL: redis.url } : process.env;
  const r = spawnSync(process.execPath, ["--import", "tsx", `examples/${name}/main.ts`], { cwd: root, stdio: "inherit", env });
  redis?.child.kill("SIGTERM");
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`!!! ${name} exited with ${r.status}\n`);
  }
  if (withPython) {
    process.stdout.write(`--- python3 examples/${name}/main.py\n`);
    spawnSync("python3", [`examples/${name}/main.py`], { cwd: root, stdio: "inherit", env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  }
}
process.stdout.write(`\n${examples.length - failed - skipped} of ${examples.length} tutorials ran${skipped ? ` (${skipped} skipped)` : ""}.\n`);
process.exit(failed ? 1 : 0);
