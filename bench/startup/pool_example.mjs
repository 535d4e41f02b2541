// pool_example.ts compiled: the first Pool example of Python's multiprocessing docs.
import { Pool, is_main } from "multiprocessing-ts";
import { print } from "multiprocessing-ts/py";

export function f(x) {
  return x * x;
}

if (is_main(import.meta)) {
  Pool(5).with((p) => {
    print(p.map(f, [1, 2, 3]));
  });
}
