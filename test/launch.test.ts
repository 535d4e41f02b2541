// Whole programs, run as users run them: the four launch modes, the main guard, a grandchild,
// output ordering while the parent is blocked, and what happens when the main program ends.
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const dir = fileURLToPath(new URL("./fixtures/programs/", import.meta.url));
const tsxCli = fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: dir, env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }));
  });
}

const treeOutput = [
  "top-level in MainProcess",
  "is_main in the entry module",
  "level 0 in MainProcess, parent undefined",
  "top-level in Process-1",
  "level 1 in Process-1, parent MainProcess",
  "top-level in Process-1:1",
  "level 2 in Process-1:1, parent Process-1",
  "level 1 joined Process-1:1 with 0",
  "level 0 joined Process-1 with 0",
].join("\n") + "\n";

describe.concurrent("launch modes", () => {
  test("npx tsx runs a TypeScript program with a child and a grandchild", async () => {
    const r = await run([tsxCli, "tree.ts"]);
    expect(r.stdout).toBe(treeOutput);
    expect(r.code).toBe(0);
  });

  test("node --import tsx runs the same program", async () => {
    const r = await run(["--import", "tsx", "tree.ts"]);
    expect(r.stdout).toBe(treeOutput);
  });

  test("a JavaScript main program that imports TypeScript runs under node --import tsx and the tsx CLI, its Process children and Pool workers too", async () => {
    // The children import mixed_main.mjs, which imports mixed_tasks.ts: they register tsx because
    // the program runs under it, though their modules are JavaScript.
    const expected = "hello world from a child\nexit code 0\n[ 2, 5, 10, 17 ]\n";
    for (const args of [["--import", "tsx", "mixed_main.mjs"], [tsxCli, "mixed_main.mjs"]]) {
      const r = await run(args);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(expected);
      expect(r.code).toBe(0);
    }
  });

  test("compiled ESM JavaScript runs the same program", async () => {
    const r = await run(["tree.mjs"]);
    expect(r.stdout).toBe(treeOutput);
  });

  test("CommonJS runs the same program (is_main(module))", async () => {
    const r = await run(["tree.cjs"]);
    expect(r.stdout).toBe(treeOutput);
  });

  test("a program given to node -e starts children whose target it imports", async () => {
    // node's -e and its code must not reach the workers, which would run the program again.
    const r = await run(["--input-type=module", "-e", `
      import mp from "multiprocessing-ts";
      import { level } from "./tree.mjs";
      const p = new mp.Process({ target: level, args: [1] });
      p.start();
      p.join();
      console.log("exit code", p.exitcode);`]);
    expect(r.stdout).toBe([
      "top-level in MainProcess",
      "top-level in Process-1",
      "level 1 in Process-1, parent MainProcess",
      "top-level in Process-1:1",
      "level 2 in Process-1:1, parent Process-1",
      "level 1 joined Process-1:1 with 0",
      "exit code 0",
    ].join("\n") + "\n");
  });

  test("the forkserver start method runs the same tree", async () => {
    const r = await run(["--import", "tsx", "-e", `
      const mp = (await import("multiprocessing-ts")).default;
      mp.set_start_method("forkserver");
      process.argv[1] = ${JSON.stringify(dir + "tree.ts")};
      await import(${JSON.stringify("file://" + dir + "tree.ts")});`]);
    expect(r.stdout).toContain("level 2 in Process-1:1, parent Process-1");
    expect(r.stdout).toContain("level 0 joined Process-1 with 0");
  });
});

describe("output", () => {
  test("a child's lines reach a pipe in real time while the parent is blocked in join()", async () => {
    const stamps: [number, string][] = [];
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "interleave.ts"], { cwd: dir });
      let buf = "";
      child.stdout.on("data", (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          stamps.push([performance.now() - t0, buf.slice(0, i)]);
          buf = buf.slice(i + 1);
        }
      });
      child.on("close", () => resolve());
    });
    expect(stamps.map((s) => s[1])).toEqual(["parent before start", "child line 0", "child line 1", "child line 2", "parent after join, exitcode 0"]);
    // child lines are 50 ms apart: they arrived as printed, not in one burst at the end
    expect(stamps[3]![0] - stamps[1]![0]).toBeGreaterThan(60);
  });

  test("a slow reader loses nothing: 20,000 lines through a full pipe", async () => {
    const lines = await new Promise<string[]>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "interleave.ts", "--flood"], { cwd: dir });
      const chunks: Buffer[] = [];
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 500); // let the pipe fill up: the child sees EAGAIN
      child.stdout.on("data", (d) => chunks.push(d));
      child.on("close", () => resolve(Buffer.concat(chunks).toString().trim().split("\n")));
    });
    expect(lines.length).toBe(20002);
    expect(lines[20000]).toBe("child line 19999");
    expect(lines.at(-1)).toBe("parent after join, exitcode 0");
  });
});

describe.concurrent("end of the main program", () => {
  test("non-daemon children are joined and daemon children terminated when the script ends", async () => {
    const r = await run(["--import", "tsx", "exit_joins.ts"]);
    expect(r.stdout).toBe("main end\nnon-daemon finished\n");
  });

  test("the same holds when main calls process.exit()", async () => {
    const r = await run(["--import", "tsx", "exit_joins.ts", "--exit"]);
    expect(r.stdout).toBe("main end\nnon-daemon finished\n");
  });
});
