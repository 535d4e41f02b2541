// Compile-time checks (run by test/types.test.ts): Pool's apply/map/starmap/imap take arguments
// that fit the function's parameters and give its return type. Each @ts-expect-error must be an error.
import mp from "multiprocessing-ts";

export function f(x: number): string {
  return String(x);
}
export function g(x: number, kw: { scale: number }): number {
  return x * kw.scale;
}
export function pair(a: number, b: string): boolean {
  return a > b.length;
}
export async function later(x: number): Promise<number> {
  return x;
}

const pool = mp.Pool(2);
const a: string = pool.apply(f, [1]);
const b: number = pool.apply(g, [1], { scale: 2 });
const c: number = pool.apply(later, [1]);
const d: string = pool.apply({ func: f, args: [1] });
// @ts-expect-error args must fit the parameters
pool.apply(f, ["x"]);
// @ts-expect-error too many args
pool.apply(f, [1, 2]);
// @ts-expect-error kwds must fit the parameter after args
pool.apply(g, [1], { scal: 2 });
// @ts-expect-error the result is the function's return type
const e: number = pool.apply(f, [1]);

const r = pool.apply_async(f, [4], {}, (x) => x.toUpperCase());
const r2 = pool.apply_async(f, [4], { callback: (x) => x.toUpperCase() });
const s: string = r.get();
// @ts-expect-error args must fit the parameters
pool.apply_async(f, ["x"]);

const m: string[] = pool.map(f, [1, 2]);
const ma: string[] = pool.map_async(f, [1, 2]).get();
// @ts-expect-error items must fit the first parameter
pool.map(f, ["x"]);
const sm: boolean[] = pool.starmap(pair, [[1, "a"]]);
// @ts-expect-error each item must fit the parameters
pool.starmap(pair, [["a", 1]]);
for (const x of pool.imap(f, [1, 2])) {
  const y: string = x;
  void y;
}
// @ts-expect-error one argument too many
pool.map(f, [1], 1, 2);
pool.terminate();
void [a, b, c, d, e, s, r2, m, ma, sm];

// A callable object (Python's __call__) is a pool function: its __call__'s parameters and result.
export class Scale {
  constructor(public k: number) {}
  __call__(x: number): number {
    return this.k * x;
  }
}
const scaled: number[] = pool.map(new Scale(3), [1, 2]);
const scaledOne: number = pool.apply(new Scale(3), [1]);
// @ts-expect-error a string is not a number
pool.map(new Scale(3), ["x"]);
void scaled, scaledOne;
