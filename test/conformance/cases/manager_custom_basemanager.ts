// Port of manager_custom_basemanager.py: a BaseManager subclass with register(): AutoProxy exposes
// the public methods (or the `exposed` list), exceptions raised by a referent method are re-raised
// locally with the same type, calling a non-exposed method via _callmethod raises RemoteError, a
// proxytype for generators works; start() twice -> ProcessError('Already started server'),
// start() after shutdown -> ProcessError('Manager has shut down'), creating objects before
// start() -> AssertionError('server not yet started'); a start() initializer must be callable.
import mp from "multiprocessing-ts";
import { BaseManager, BaseProxy, RemoteError } from "multiprocessing-ts/managers";
import { print, repr, str, StopIteration, ValueError } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    const r = fn();
    print(`${label}: ${repr(r).replace(/0x[0-9a-f]+/g, "0xADDR")}`);
  } catch (e: any) {
    const first = str(e).trim() ? str(e).trim().split("\n")[0] : "";
    print(`${label}: ${e.name}` + (first ? `: ${first}` : ""));
  }
}

export class FooBar {
  f() {
    return "f()";
  }
  g() {
    throw new ValueError("g failed");
  }
  _h() {
    return "_h()";
  }
}

export function* baz() {
  for (let i = 0; i < 10; i++) yield i * i;
}

export class IteratorProxy extends BaseProxy {
  static override _exposed_ = ["__next__"];
  [Symbol.iterator]() {
    return {
      next: () => {
        try {
          return { value: this.__next__(), done: false };
        } catch (e) {
          if (e instanceof StopIteration) return { value: undefined, done: true };
          throw e;
        }
      },
    };
  }
  __next__() {
    return this._callmethod("__next__");
  }
}

export class MyManager extends BaseManager {
  declare Foo: () => any;
  declare Bar: () => any;
  declare baz: () => IteratorProxy;
}

MyManager.register("Foo", FooBar);
MyManager.register("Bar", FooBar, { exposed: ["f", "_h"] });
MyManager.register("baz", baz, { proxytype: IteratorProxy });

function common(manager: MyManager) {
  const [foo, bar, it] = [manager.Foo(), manager.Bar(), manager.baz()];
  show("Foo methods present", () => ["f", "g", "_h"].filter((n) => n in foo));
  show("Bar methods present", () => ["f", "g", "_h"].filter((n) => n in bar));
  show("foo.f()", () => foo.f());
  show("foo.g()", () => foo.g());
  show("foo._callmethod('f')", () => foo._callmethod("f"));
  show("foo._callmethod('_h')", () => foo._callmethod("_h"));
  try {
    foo._callmethod("_h");
  } catch (e) {
    if (!(e instanceof RemoteError)) throw e;
    print("  RemoteError text starts with a dashed rule:", str(e).startsWith("\n" + "-".repeat(75)),
      "| mentions 'is not in exposed':", str(e).includes("is not in exposed"));
  }
  show("bar.f()", () => bar.f());
  show("bar._h()", () => bar._h());
  show("bar._callmethod('_h')", () => bar._callmethod("_h"));
  show("foo repr", () => repr(foo));
  show("list(baz proxy)", () => [...it]);
}

/** Python's `[c.__name__ for c in cls.__mro__]`, up to BaseException, then `object`. */
function mro(cls: Function): string[] {
  const names: string[] = [];
  for (let c: any = cls; c && c.name !== "Error"; c = Object.getPrototypeOf(c)) names.push(c.name);
  return [...names, "object"];
}

function main() {
  const m = new MyManager();
  show("Foo() before start()", () => m.Foo());
  show("start(initializer=1)", () => m.start(1 as any));
  m.start();
  common(m);
  show("start() again", () => m.start());
  m.shutdown();
  show("manager process exitcode", () => m._process.exitcode);
  show("start() after shutdown", () => m.start());
  show("with after shutdown", () => m.__enter__());
  show("shutdown() again", () => m.shutdown());
  const m2 = new MyManager();
  m2.with((m2) => {
    show("context manager yields started manager", () => m2.Foo().f());
  });
  show("after with: exitcode", () => m2._process.exitcode);
  show("RemoteError bases", () => mro(RemoteError));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
