// BaseManager: register() with callable, proxytype, exposed, method_to_typeid, create_method;
// start(initializer, initargs), shutdown, join, connect, get_server, address, with/using;
// BaseProxy._callmethod/_getvalue, AutoProxy, and every misuse error of CPython's.
import mp from "multiprocessing-ts";
import { AutoProxy, BaseManager, BaseProxy, RemoteError, Token } from "multiprocessing-ts/managers";
import { afterEach, describe, expect, test } from "vitest";
import { str } from "multiprocessing-ts/py";
import * as t from "./fixtures/manager_targets.js";

const started: BaseManager[] = [];
function track<M extends BaseManager>(m: M): M {
  started.push(m);
  return m;
}
afterEach(() => {
  // Every manager a test starts is shut down, and its process is gone.
  for (const m of started.splice(0)) {
    if (m._process && m._state.value !== 2) m.shutdown();
    if (m._process) expect(m._process.is_alive()).toBe(false);
  }
  expect(mp.active_children()).toEqual([]);
});

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e: any) {
    return `${e.name}: ${str(e).trim().split("\n")[0]}`;
  }
  return "no error";
}

describe("BaseManager", () => {
  test("register(): AutoProxy exposes the public methods; referent errors keep their class", () => {
    const m = track(new t.TestManager());
    m.start();
    const h = m.Holder(5);
    expect(h.constructor.name).toBe("AutoProxy[Holder]");
    expect(h.get()).toBe(5);
    h.set([1, 2]);
    expect(h._getvalue()).toBeInstanceOf(t.Holder);
    expect(h._callmethod("get")).toEqual([1, 2]);
    expect(errorOf(() => h.fail())).toBe("ValueError: holder failed");
    expect("_secret" in h).toBe(false);
    expect(() => h._callmethod("_secret")).toThrow(RemoteError);
  });

  test("exposed, proxytype, method_to_typeid and create_method", () => {
    const m = track(new t.TestManager());
    m.start();
    const e = m.Exposed(1);
    expect(e._callmethod("_secret")).toBe("hidden");
    expect("set" in e).toBe(false);
    const typed = m.Typed(3);
    expect(typed).toBeInstanceOf(t.HolderProxy);
    expect(typed.twice()).toEqual([3, 3]);
    const maker = m.Maker();
    const made = maker.make("x");
    expect(made.constructor.name).toBe("AutoProxy[Holder]");
    expect(made.get()).toBe("x");
    expect(maker.count()).toBe(1);
    expect((m as any).NoMethod).toBeUndefined();
    const [id, exposed] = m._create("NoMethod", 9);
    const p = AutoProxy(new Token("NoMethod", m.address!, id), "pickle", { manager: m, exposed, incref: false });
    expect(p.get()).toBe(9);
  });

  test("start(initializer, initargs) runs the initializer in the server first", () => {
    const m = track(new t.TestManager());
    m.start(t.remember, ["from initializer"]);
    expect(m.Initialized().get()).toBe("from initializer");
  });

  test("misuse errors are CPython's", () => {
    const m = track(new t.TestManager());
    expect(errorOf(() => m.Holder(1))).toBe("AssertionError: server not yet started");
    expect(errorOf(() => m.start(1 as any))).toBe("TypeError: initializer must be a callable");
    expect(errorOf(() => m.shutdown())).toBe("AttributeError: 'TestManager' object has no attribute 'shutdown'");
    m.start();
    expect(errorOf(() => m.start())).toBe("ProcessError: Already started server");
    expect(errorOf(() => m.get_server())).toBe("ProcessError: Already started server");
    m.shutdown();
    expect(m._process.exitcode).toBe(0);
    expect(errorOf(() => m.start())).toBe("ProcessError: Manager has shut down");
    expect(errorOf(() => m.__enter__())).toBe("ProcessError: Manager has shut down");
    expect(errorOf(() => m.shutdown())).toBe("no error");
  });

  test("with() and using start and shut down the manager; join() waits for its process", () => {
    const m = track(new t.TestManager());
    const v = m.with((mm) => mm.Holder(2).get());
    expect(v).toBe(2);
    expect(m._process.exitcode).toBe(0);
    {
      using m2 = track(new t.TestManager()).__enter__();
      expect(m2.Holder(4).get()).toBe(4);
    }
    m.join(1);
  });

  test("connect() attaches a second manager object to a running server at its address", () => {
    const m = track(new t.TestManager());
    m.start();
    const other = new t.TestManager({ address: m.address });
    other.connect();
    expect(other.Holder(6).get()).toBe(6);
    expect(() => new t.TestManager({ address: "nowhere" }).connect()).toThrow("no manager is serving at nowhere");
  });

  test("a class extending BaseManager has its own registry", () => {
    class Other extends BaseManager {}
    Other.register("Holder2", t.Holder);
    expect(Object.keys(Other._registry)).toEqual(["Holder2"]);
    expect(Object.keys(BaseManager._registry)).toEqual([]);
    expect("Holder2" in t.TestManager.prototype).toBe(false);
  });

  test("a BaseProxy subclass calls _callmethod; errors after shutdown are clear", () => {
    const m = track(new t.TestManager());
    m.start();
    const h = m.Typed(1);
    expect(h).toBeInstanceOf(BaseProxy);
    m.shutdown();
    expect(() => h.get()).toThrow(/Broken pipe|EOFError/);
  });
});
