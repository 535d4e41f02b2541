// Port of python/pool_functions_as_values.py: Python docs, pickle, "What can be pickled and
// unpickled?" (https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled)
// with Pool.starmap/map/apply: exported functions as pool arguments and as pool results.
import mp from "multiprocessing-ts";
import { print } from "multiprocessing-ts/py";

export function add(a: number, b: number) {
  return a + b;
}

export function mul(a: number, b: number) {
  return a * b;
}

export function apply(func: (a: number, b: number) => number, a: number, b: number) {
  return func(a, b);
}

export function pick(name: string) {
  return ({ add, mul } as Record<string, (a: number, b: number) => number>)[name]!;
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  mp.Pool(2).with((pool) => {
    print(pool.starmap(apply, [[add, 1, 2], [mul, 3, 4], [add, 5, 6]]));
    const funcs = pool.map(pick, ["add", "mul"]);
    print(funcs.map((f) => f.name), funcs[0] === add, funcs[1]!(6, 7));
    print(pool.apply(apply, [mul, 6, 7]));
  });
}
