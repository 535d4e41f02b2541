// The first Pool example of Python's multiprocessing docs, as a user writes it in TypeScript
// (bench/startup.mjs times the whole program under `node --import tsx`; pool_example.mjs is
// the same program compiled).
import { Pool, is_main } from "multiprocessing-ts";
import { print } from "multiprocessing-ts/py";

export function f(x: number): number {
  return x * x;
}

if (is_main(import.meta)) {
  Pool(5).with((p) => {
    print(p.map(f, [1, 2, 3]));
  });
}
