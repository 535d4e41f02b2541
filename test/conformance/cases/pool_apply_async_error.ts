// Port of pool_apply_async_error.py: a worker's exception is re-raised by get() with the same
// type and args, passed to error_callback, and chained (cause) to a RemoteTraceback holding the
// worker's traceback; map() raises the first failing item's exception; errors raised by the
// input iterable itself are not wrapped.
import mp from "multiprocessing-ts";
import { print, repr, tuple, KeyError, RuntimeError, ValueError } from "multiprocessing-ts/py";
import { RemoteTraceback } from "multiprocessing-ts/pool";

export class SayWhenError extends ValueError {}

export function raising() {
  throw new KeyError("key");
}

export function raise_123() {
  throw new RuntimeError(123);
}

export function fail_on_3(x: number) {
  if (x === 3) throw new ValueError(`bad ${x}`);
  return x;
}

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

/** Python's int(): a base-10 integer literal, or ValueError. */
export function int(s: string) {
  if (!/^\s*[-+]?\d+\s*$/.test(s)) throw new ValueError(`invalid literal for int() with base 10: ${repr(s)}`);
  return Number(s);
}

function describe(e: any) {
  return `${e.name}${repr(tuple(...e.args))}`;
}

function main() {
  mp.Pool(2).with((pool) => {
    const errs: unknown[] = [];
    const r = pool.apply_async(raising, [], {}, null, (e) => errs.push(e));
    let raised: unknown = null;
    try {
      r.get();
    } catch (e: any) {
      if (!(e instanceof KeyError)) throw e;
      raised = e;
      print("get() raised:", describe(e));
      const cause = e.cause as RemoteTraceback;
      print("  __cause__ type:", cause.constructor.name, "is RemoteTraceback:", cause instanceof RemoteTraceback);
      print("  cause text names the worker function:", cause.tb.includes("in raising"));
      print("  str(cause) == cause.tb:", String(cause) === cause.tb);
    }
    print("error_callback got:", errs.map((x) => describe(x)), "| same object get() raised:", errs[0] === raised);
    print("ready:", r.ready(), "successful:", r.successful());
    try {
      pool.apply(raise_123);
    } catch (e: any) {
      print("apply() raised:", describe(e), "type is RuntimeError:", e.constructor === RuntimeError);
    }
    try {
      pool.map(fail_on_3, mp.py.range(6));
    } catch (e: any) {
      print("map() raised:", describe(e));
    }
    const calls: unknown[] = [];
    pool.map_async(int, ["1"], { callback: (x) => calls.push(x), error_callback: (x) => calls.push(x) }).wait();
    pool.map_async(int, ["a"], { callback: (x) => calls.push(x), error_callback: (x) => calls.push(x) }).wait();
    print("map_async callbacks:", calls[0], "|", describe(calls[1]));
    const r2 = pool.map_async(fail_on_3, mp.py.range(6));
    r2.wait();
    print("map_async with a failure: ready", r2.ready(), "successful", r2.successful());
    for (const [total, when] of [[1, -1], [1, -1], [10, 3]] as const) {
      try {
        pool.map(sqr, exception_throwing_generator(total, when), 1);
      } catch (e: any) {
        print(`map over generator(${total}, ${when}) raised:`, describe(e), "__cause__:", e.cause ?? null);
      }
    }
    print("pool still works:", pool.map(sqr, mp.py.range(3)));
  });
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
