// Port of CPython's _TestMyManager (Lib/test/_test_multiprocessing.py), "manager" flavour: a
// BaseManager subclass with registered types (default exposure, an explicit `exposed` list that
// includes a private method, and a generator behind a custom proxy type), started by start(),
// by `with`, and started before `with`. The classes are in test/fixtures/cpython/my_manager.ts.
import mp from "multiprocessing-ts";
import { RemoteError } from "multiprocessing-ts/managers";
import { describe, expect, test } from "vitest";
import { MyManager } from "../fixtures/cpython/my_manager.js";
import "../helpers/processes.js";

const SHUTDOWN_TIMEOUT = 30; // CPython's support.SHORT_TIMEOUT
// CPython accepts exitcode 0 or -SIGTERM (bpo-30356: a slow server is terminated after 1 s).
const SIGTERM = 15;

function hasattr(obj: any, name: string): boolean {
  return obj[name] !== undefined;
}

function common(manager: any): void {
  const foo = manager.Foo();
  const bar = manager.Bar();
  const baz = manager.baz();

  const foo_methods = ["f", "g", "_h"].filter((name) => hasattr(foo, name));
  const bar_methods = ["f", "g", "_h"].filter((name) => hasattr(bar, name));

  expect(foo_methods).toEqual(["f", "g"]);
  expect(bar_methods).toEqual(["f", "_h"]);

  expect(foo.f()).toBe("f()");
  expect(() => foo.g()).toThrow(mp.py.ValueError);
  expect(foo._callmethod("f")).toBe("f()");
  expect(() => foo._callmethod("_h")).toThrow(RemoteError);

  expect(bar.f()).toBe("f()");
  expect(bar._h()).toBe("_h()");
  expect(bar._callmethod("f")).toBe("f()");
  expect(bar._callmethod("_h")).toBe("_h()");

  expect([...baz]).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
}

describe("_TestMyManager", () => {
  test("test_mymanager: a started MyManager serves its three registered types, and its server exits 0 at shutdown()", () => {
    const manager = new MyManager({ shutdown_timeout: SHUTDOWN_TIMEOUT });
    manager.start();
    common(manager);
    manager.shutdown();
    expect([0, -SIGTERM]).toContain(manager._process.exitcode);
  });

  test("test_mymanager_context: the same with `with manager`, which starts and shuts it down", () => {
    const manager = new MyManager({ shutdown_timeout: SHUTDOWN_TIMEOUT });
    manager.with(() => {
      common(manager);
    });
    expect([0, -SIGTERM]).toContain(manager._process.exitcode);
  });

  test("test_mymanager_context_prestarted: `with` on a started manager uses it and shuts it down: exitcode 0", () => {
    const manager = new MyManager({ shutdown_timeout: SHUTDOWN_TIMEOUT });
    manager.start();
    manager.with(() => {
      common(manager);
    });
    expect(manager._process.exitcode).toBe(0);
  });
});
