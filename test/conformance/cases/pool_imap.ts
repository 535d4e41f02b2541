// Port of pool_imap.py: imap yields results lazily in order (next(), the end, chunksize batches),
// imap_unordered yields every result; a failing item raises at its position and iteration goes
// on; an exception from the input iterable ends the stream there; chunksize < 1 is a ValueError.
import mp from "multiprocessing-ts";
import { print, range, ValueError } from "multiprocessing-ts/py";

export class SayWhenError extends ValueError {}

function* exception_throwing_generator(total: number, when: number) {
  if (when === -1) throw new SayWhenError("Somebody said when");
  for (let i = 0; i < total; i++) {
    if (i === when) throw new SayWhenError("Somebody said when");
    yield i;
  }
}

export function sqr(x: number) {
  return x * x;
}

export function fail_on_3(x: number) {
  if (x === 3) throw new ValueError(`bad ${x}`);
  return x;
}

function drain(it: Iterator<unknown>, n: number) {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const r = it.next();
      if (r.done) {
        out.push("StopIteration");
        break;
      }
      out.push(r.value);
    } catch (e: any) {
      out.push(`${e.name}: ${e.message}`);
    }
  }
  return out;
}

/** Python's type(x).__name__ for what imap returns. */
const typeName = (x: object) => (Object.prototype.toString.call(x) === "[object Generator]" ? "generator" : x.constructor.name);
const eq = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function main() {
  mp.Pool(3).with((pool) => {
    print("list(imap):", [...pool.imap(sqr, range(10))]);
    const it = pool.imap(sqr, range(10));
    print("iter(it) is it:", it[Symbol.iterator]() === it, "type:", typeName(it));
    print("next() x11:", drain(it, 11));
    print("imap chunksize=100 over 1000 in order:", eq([...pool.imap(sqr, range(1000), 100)], [...range(1000)].map((i) => i * i)));
    print("imap with chunksize returns a generator:", typeName(pool.imap(sqr, range(3), 2)));
    print("sorted(imap_unordered):", [...pool.imap_unordered(sqr, range(10))].sort((a, b) => a - b));
    print("imap_unordered chunksize=100 complete:",
      eq([...pool.imap_unordered(sqr, range(1000), 100)].sort((a, b) => a - b), [...range(1000)].map((i) => i * i)));
    print("imap over failing item:", drain(pool.imap(fail_on_3, range(6)), 7));
    print("imap, generator fails at once:", drain(pool.imap(sqr, exception_throwing_generator(1, -1), 1), 2));
    print("imap, generator fails at 3:", drain(pool.imap(sqr, exception_throwing_generator(10, 3), 1), 5));
    print("imap chunksize=2, generator fails at 7:", drain(pool.imap(sqr, exception_throwing_generator(20, 7), 2), 8));
    print("imap chunksize=4, generator fails at 7:", drain(pool.imap(sqr, exception_throwing_generator(20, 7), 4), 6));
    const got = drain(pool.imap_unordered(sqr, exception_throwing_generator(10, 3), 1), 5);
    print("imap_unordered, generator fails at 3:", got.filter((x) => typeof x === "number").sort(), got.filter((x) => typeof x !== "number"));
    for (const name of ["imap", "imap_unordered"] as const) {
      for (const cs of [0, -1]) {
        try {
          pool[name](sqr, range(3), cs);
        } catch (e: any) {
          if (!(e instanceof ValueError)) throw e;
          print(`${name}(chunksize=${cs}): ValueError: ${e.message}`);
        }
      }
    }
  });
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
