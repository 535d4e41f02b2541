// Every Process a test starts goes through track(); afterEach() terminates what is still alive
// and fails the test that leaked it (CPython's "Dangling processes" check).
import mp from "multiprocessing-ts";
import { afterEach, expect } from "vitest";

const started = new Set<mp.BaseProcess>();

/** Registers a process for cleanup; returns it. */
export function track<P extends mp.BaseProcess>(p: P): P {
  started.add(p);
  return p;
}

/** Starts a tracked Process. */
export function spawn(options: ConstructorParameters<typeof mp.Process>[0]): mp.Process {
  const p = track(new mp.Process(options));
  p.start();
  return p;
}

afterEach(() => {
  const leaked = mp.active_children();
  for (const p of leaked) {
    p.terminate();
    p.join(5);
  }
  started.clear();
  expect(leaked.map((p) => p.name), "dangling processes").toEqual([]);
});
