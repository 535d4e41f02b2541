// Port of pool_map_order.py: map/starmap/map_async/starmap_async/apply return results in input
// order whatever the completion order or chunksize; empty iterables give []; callbacks receive
// the whole list.
import mp from "multiprocessing-ts";
import { print, range, time } from "multiprocessing-ts/py";

export function sqr(x: number | { x: number }, wait: number = 0.0) {
  if (typeof x === "object") x = x.x; // sqr(x=3): keyword arguments arrive as one trailing object
  time.sleep(wait);
  return x * x;
}

export function slow_first(x: number) {
  time.sleep((9 - x) * 0.01); // early items finish last
  return x * 10;
}

export function mul(x: number, y: number) {
  return x * y;
}

const zip = <A, B>(a: Iterable<A>, b: Iterable<B>) => {
  const bs = [...b];
  return [...a].map((x, i) => [x, bs[i]!] as [A, B]);
};
const eq = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function main() {
  mp.Pool(4).with((pool) => {
    print("apply(sqr, (5,)):", pool.apply(sqr, [5]));
    print("apply(sqr, (), {'x': 3}):", pool.apply(sqr, [], { x: 3 }));
    print("map(sqr, range(10)):", pool.map(sqr, range(10)));
    print("map(..., chunksize=20) over 100 == builtin map:", eq(pool.map(sqr, range(100), 20), [...range(100)].map((x) => sqr(x))));
    print("map with reversed completion order:", pool.map(slow_first, range(10), 1));
    print("map over a generator:", pool.map(sqr, (function* () { for (const i of range(5)) yield i; })()));
    print("map with chunksize > len:", pool.map(sqr, [1, 2, 3], 10));
    const tuples = zip(range(10), range(9, -1, -1));
    print("starmap(mul, ...):", pool.starmap(mul, tuples));
    print("starmap(..., chunksize=20) over 100 ok:",
      eq(pool.starmap(mul, zip(range(100), range(99, -1, -1)), 20), zip(range(100), range(99, -1, -1)).map(([a, b]) => a * b)));
    const r = pool.map_async(sqr, range(10));
    print("map_async type:", r.constructor.name, "get():", r.get());
    print("starmap_async get():", pool.starmap_async(mul, tuples).get());
    let got: unknown[] = [];
    pool.map_async(sqr, [1, 2, 3], { callback: (x) => got.push(x) }).wait();
    print("map_async callback received:", got);
    got = [];
    pool.apply_async(sqr, [4], {}, (x) => got.push(x)).wait();
    print("apply_async callback received:", got);
    print("map over []:", pool.map(sqr, []));
    print("map_async([], chunksize=1).get(timeout=5):", pool.map_async(sqr, [], 1).get(5));
    print("imap over []:", [...pool.imap(sqr, [])]);
    print("imap_unordered over []:", [...pool.imap_unordered(sqr, [])]);
    print("starmap over []:", pool.starmap(mul, []));
  });
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
