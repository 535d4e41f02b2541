// What CPython's Lib/test/_test_multiprocessing.py defines around its tests, ported: the timing
// constants (with CHECK_TIMINGS off, as CPython runs by default, so assertTimingAlmostEqual
// checks nothing unless CHECK_TIMINGS=1 is set), TimingWrapper, join_process, close_queue and
// get_value. Every test file under test/cpython/ ports one CPython test class; its test names
// start with CPython's method name.
import mp from "multiprocessing-ts";
import { expect } from "vitest";

export const DELTA = 0.1;
/** CPython's CHECK_TIMINGS: false unless the environment says otherwise. */
export const CHECK_TIMINGS = process.env.CHECK_TIMINGS === "1";
export const [TIMEOUT1, TIMEOUT2, TIMEOUT3] = CHECK_TIMINGS ? [0.82, 0.35, 1.4] : [0.1, 0.1, 0.1];
/** support.SHORT_TIMEOUT and LONG_TIMEOUT (seconds). */
export const SHORT_TIMEOUT = 30;
export const LONG_TIMEOUT = 300;

/** Asserts that two durations agree to one decimal, when CHECK_TIMINGS is on (as CPython). */
export function assertTimingAlmostEqual(a: number, b: number): void {
  if (CHECK_TIMINGS) expect(Math.round((a - b) * 10) / 10).toBe(0);
}

/** Calls a function and records how long it took, in seconds (CPython's TimingWrapper). */
export class TimingWrapper<F extends (...args: any[]) => any> {
  elapsed: number | null = null;
  readonly call: F;
  constructor(func: F) {
    this.call = ((...args: any[]) => {
      const t = performance.now();
      try {
        return func(...args);
      } finally {
        this.elapsed = (performance.now() - t) / 1000;
      }
    }) as F;
  }
}

/** Joins with CPython's support.SHORT_TIMEOUT. */
export function join_process(p: mp.BaseProcess): void {
  p.join(SHORT_TIMEOUT);
}

/** Closes a queue and joins its feeder, as CPython's close_queue(). */
export function close_queue(q: { close(): void; join_thread(): void }): void {
  q.close();
  q.join_thread();
}

/** The value of a semaphore, or a NotImplementedError where the platform lacks it. */
export function get_value(sem: { get_value(): number }): number {
  return sem.get_value();
}

/** Runs `func(...args)` and expects `value`, unless it raises NotImplementedError. */
export function assertReturnsIfImplemented(value: unknown, func: (...a: any[]) => unknown, ...args: unknown[]): void {
  let res: unknown;
  try {
    res = func(...args);
  } catch (e) {
    if ((e as Error).name === "NotImplementedError") return;
    throw e;
  }
  expect(res).toEqual(value);
}

/**
 * Runs a TypeScript program of test/fixtures/cpython/programs/ in a new Node process (CPython's
 * script_helper.assert_python_ok/failure run a script with the python executable).
 */
export async function run_program(name: string, args: string[] = [], nodeOptions: string[] = []): Promise<{ rc: number; out: string; err: string }> {
  const { execFile } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const program = fileURLToPath(new URL(`../fixtures/cpython/programs/${name}`, import.meta.url));
  return new Promise((resolve) =>
    execFile(process.execPath, [...nodeOptions, "--import", "tsx", program, ...args], { timeout: 60_000 }, (e, out, err) =>
      resolve({ rc: e ? (typeof (e as any).code === "number" ? (e as any).code : 1) : 0, out, err })));
}
