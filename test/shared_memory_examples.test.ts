// The shared_memory examples of Python's docs (examples/shared_memory/) print what their Python
// originals print, up to the documented differences (a class prints as its name, a typed array
// prints as Python's array.array rather than as a NumPy array).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const dir = fileURLToPath(new URL("../examples/shared_memory/", import.meta.url));
const run = (cmd: string, args: string[]) =>
  new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(cmd, args, { cwd: dir, timeout: 60_000 }, (err, stdout) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout })));
const hasNumpy = (await run("python3", ["-c", "import numpy"])).code === 0;

const expected: Record<string, string> = {
  main: "memoryview\n10\narray('b', [22, 33, 44, 55, 100])\nb'howdy'\n",
  numpy_array:
    "array('q', [1, 1, 2, 3, 5, 8])\nBigInt64Array\nTrue\narray('q', [1, 1, 2, 3, 5, 8])\narray('q', [1, 1, 2, 3, 5, 888])\narray('q', [1, 1, 2, 3, 5, 888])\n",
  manager: "[0, 1, 2, 3]\n['a', 'l', 'p', 'h', 'a']\nafter shutdown: FileNotFoundError\n2664667000\n",
  shareable_list:
    "['str', 'bytes', 'float', 'int', 'NoneType', 'bool', 'int']\n-273.154\n-78.5\ndry ice\n" +
    "ValueError: bytes/str item exceeds available storage\ndry ice\n7\n6\n0\n1\nShareableList([0, 1, 2, 3, 4], name='...')\n-999\n",
};
/** Python's text → ours, for what JavaScript prints differently. */
const pythonToOurs = (name: string, s: string) =>
  name === "main"
    ? s.replace("<class 'memoryview'>", "memoryview")
    : name === "numpy_array"
      ? s.replace("<class 'numpy.ndarray'>", "BigInt64Array").replace(/^\[(.*)\]$/gm, (_, xs: string) => `array('q', [${xs.trim().split(/\s+/).join(", ")}])`)
      : s;

describe.concurrent("examples/shared_memory", () => {
  for (const name of Object.keys(expected)) {
    test(`${name}.ts prints what ${name}.py prints`, async () => {
      const ours = await run(process.execPath, ["--import", "tsx", `${name}.ts`]);
      expect(ours.stdout).toBe(expected[name]);
      expect(ours.code).toBe(0);
    });
    test.runIf(name !== "numpy_array" || hasNumpy)(`${name}.py still prints it under CPython`, async () => {
      const py = await run("python3", [`${name}.py`]);
      expect(pythonToOurs(name, py.stdout)).toBe(expected[name]);
    });
  }
});
