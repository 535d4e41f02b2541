// Port of python/pool_callable_object.py: an instance of an exported class with `__call__` is a
// pool function, sent by reference to its class and called in the worker with its own fields
// (pickle's "What can be pickled and unpickled?" with the data model's __call__); its errors come
// back as the worker raised them.
import mp from "multiprocessing-ts";
import { print, range, ValueError } from "multiprocessing-ts/py";

export class Scale {
  factor: number;

  constructor(factor: number) {
    this.factor = factor;
  }

  // Python's `def __call__(self, x, y=0)`: y comes positionally (starmap) or as a keyword (kwds).
  __call__(x: number, y: number | { y?: number } = 0) {
    const add = typeof y === "number" ? y : (y.y ?? 0);
    if (x < 0) throw new ValueError(`negative input: ${x}`);
    return this.factor * x + add;
  }

  __repr__() {
    return `Scale(${this.factor})`;
  }
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const triple = new Scale(3);
  mp.Pool(2).with((pool) => {
    print(pool.map(triple, [1, 2, 3]));
    print(pool.starmap(new Scale(2), [[1, 10], [2, 20]]));
    print(pool.apply(new Scale(5), [4]));
    print(pool.apply(new Scale(5), [4], { y: 1 }));
    print(pool.map(new Scale(10), range(20), 3));
    const r = pool.apply_async(triple, [-1]);
    try {
      r.get(10);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      print("ValueError:", e.message);
    }
    print(triple, triple.__call__(7));
  });
}
