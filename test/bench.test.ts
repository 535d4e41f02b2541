// The benchmark pipeline runs once (tiny counts, no timing assertions) so it cannot rot:
// our groups, the raw Node limits, CPython's when python3 is present, the table, JSON and chart.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

test("npm run bench -- --quick produces the table, the JSON and the chart", async () => {
  const out = mkdtempSync(join(tmpdir(), "mp-bench-"));
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(process.execPath, ["bench/run.mjs", "--quick", "--reps", "1", "--scale", "0.02", "--out", out], { cwd: root, timeout: 300_000, maxBuffer: 16 << 20 },
      (err, stdout) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout }));
  });
  expect(code).toBe(0);
  expect(stdout).toContain("| operation | multiprocessing-ts | CPython | vs CPython |");
  const record = JSON.parse(readFileSync(join(out, "quick-latest.json"), "utf8"));
  expect(record.meta.node).toBe(process.version);
  const missing = record.rows.filter((r: any) => r.ours === null).map((r: any) => r.label);
  expect(missing).toEqual([]);
  expect(readFileSync(join(out, "quick-chart.svg"), "utf8")).toMatch(/^<svg /);
}, 300_000);
