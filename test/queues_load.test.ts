// Queue under load (issue 12): 4 producers x 4 consumers and 4 x 1 on a tiny (4 KiB) ring, where
// producers keep missing the write lock (their frames are staged and written in batches) and the
// ring is full most of the time. Every item arrives exactly once, each consumer sees each
// producer's items in the order they were put, and the transfer (from the moment every process
// is up) ends within a time bound.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/queue_load_targets.js";
import { spawn } from "./helpers/processes.js";

const kRing = 4096;

/**
 * Runs P producers of n items each and C consumers; returns what each consumer got, in order,
 * and the seconds from the moment all were up (a barrier) to the last consumer's result.
 */
function run(P: number, C: number, n: number, bigEvery: number): { got: number[][]; seconds: number } {
  const q = mp.Queue(0, { capacity: kRing });
  const results = mp.Queue();
  const ready = mp.Barrier(P + C + 1);
  const cons = Array.from({ length: C }, () => spawn({ target: t.consume, args: [q, ready, results] }));
  const prods = Array.from({ length: P }, (_, tag) => spawn({ target: t.produce, args: [q, ready, tag + 1, n, bigEvery] }));
  ready.wait(60); // the children boot (seconds on a busy machine): not part of the bound
  const t0 = performance.now();
  for (const p of prods) p.join();
  for (let i = 0; i < C; i++) q.put(null);
  const got = cons.map(() => results.get(true, 60) as number[]);
  const seconds = (performance.now() - t0) / 1000;
  for (const p of cons) p.join();
  expect([...prods, ...cons].map((p) => p.exitcode)).toEqual(Array(P + C).fill(0));
  return { got, seconds };
}

function check(got: number[][], P: number, n: number, bigEvery: number): void {
  // Exactly the multiset put: every value once.
  const all = got.flat().sort((a, b) => a - b);
  const want: number[] = [];
  for (let tag = 1; tag <= P; tag++) for (let i = 0; i < n; i++) want.push(t.valueOf(t.item(tag, i, bigEvery)));
  want.sort((a, b) => a - b);
  expect(all.length).toBe(want.length);
  expect(all).toEqual(want);
  // Per-producer order, as each consumer saw it.
  for (const seq of got) {
    const last = new Map<number, number>();
    for (const v of seq) {
      const tag = Math.floor(v / 1_000_000);
      expect(v, `producer ${tag} out of order`).toBeGreaterThan(last.get(tag) ?? -1);
      last.set(tag, v);
    }
  }
}

describe("Queue under load on a 4 KiB ring", () => {
  test("4 producers x 4 consumers: every item once, each producer's in order", () => {
    const { got, seconds } = run(4, 4, 25_000, 0);
    check(got, 4, 25_000, 0);
    expect(seconds).toBeLessThan(20);
  }, 90_000);

  test("4 producers x 1 consumer: every item once, in each producer's order", () => {
    const { got, seconds } = run(4, 1, 25_000, 0);
    check(got, 4, 25_000, 0);
    expect(seconds).toBeLessThan(20);
  }, 90_000);

  test("small items mixed with items streamed through the ring keep their order", () => {
    const { got, seconds } = run(4, 2, 5_000, 97);
    check(got, 4, 5_000, 97);
    expect(seconds).toBeLessThan(20);
  }, 90_000);
});
