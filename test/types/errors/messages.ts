// Deliberate type errors: test/types.test.ts compiles this file and checks what a user reads.
// Each line's diagnostic is matched by its line number; keep the lines where they are.
import mp from "multiprocessing-ts";

export function f(x: number): string {
  return String(x);
}
const q = mp.Queue<number>();
const pool = mp.Pool(1);
const counter = mp.Value("i", 0);
q.get(true, 1, "x"); // line 11: one argument too many
mp.Value("x", 0); // line 12: unknown typecode
counter.value = "x"; // line 13: wrong value type
pool.apply(f, ["x"]); // line 14: wrong argument in args
pool.map(f, ["x"]); // line 15: wrong item type
mp.Lock().acquire(true, "x"); // line 16: wrong timeout type
mp.Event().wait(1, 2); // line 17: one argument too many
new mp.Process({ target: f, args: ["x"] }); // line 18: args must fit the target
new mp.Process({ target: two, args: [mp.Queue(), 2] }); // line 19: wrong type for a Queue parameter
new mp.Process({ target: f, args: [1, 2] }); // line 20: one argument too many

export function two(a: mp.Queue, b: mp.Queue): void {
  void [a, b];
}
