// Timeouts in both spellings must expire: one check shared by the signature tables.
import { expect } from "vitest";

/** How much later than its timeout a call may give up on a loaded 2-core machine (s). */
const kMargin = 1.5;

/** The call's value, or the name of what it threw. */
export function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (e: any) {
    return e.name;
  }
}

/**
 * Runs `timed` (a call given `timeout` seconds) and checks that it gave up after the timeout, not
 * before and not much later; returns its outcome (its value, or the name of what it threw).
 */
export function expectTimesOut(timed: () => unknown, timeout: number): unknown {
  const t0 = performance.now();
  const r = outcome(timed);
  const elapsed = (performance.now() - t0) / 1000;
  expect(elapsed).toBeGreaterThanOrEqual(timeout - 0.01);
  expect(elapsed).toBeLessThan(timeout + kMargin);
  return r;
}
