// Contexts and start methods, with Python's rules and errors; the package namespace.
import mp from "multiprocessing-ts";
import * as named from "multiprocessing-ts";
import { describe, expect, test } from "vitest";

describe("contexts", () => {
  test("start methods: spawn is the default, forkserver is offered", () => {
    expect(mp.get_all_start_methods()).toEqual(["spawn", "forkserver"]);
    expect(mp.get_context("spawn").get_start_method()).toBe("spawn");
    expect(mp.get_context("forkserver").Process.name).toBe("ForkServerProcess");
    expect(() => mp.get_context("fork")).toThrow("cannot find context for 'fork'");
    expect(() => mp.get_context("spawn").set_start_method("spawn")).toThrow("cannot set start method of concrete context");
  });

  test("set_start_method follows Python's once-only rule", () => {
    mp.set_start_method(null, true);
    expect(mp.get_start_method({ allow_none: true })).toBeNull();
    expect(() => mp.set_start_method("bogus")).toThrow("cannot find context for 'bogus'");
    mp.set_start_method("forkserver");
    expect(() => mp.set_start_method("spawn")).toThrow("context has already been set");
    expect(() => mp.set_start_method("bogus")).toThrow("context has already been set");
    mp.set_start_method("spawn", { force: true });
    expect(mp.get_start_method()).toBe("spawn");
  });

  test("creating an object fixes the default start method", () => {
    mp.set_start_method(null, true);
    mp.Lock();
    expect(mp.get_start_method({ allow_none: true })).toBe("spawn");
  });

  test("factories work with and without new, detached, and carry Python's names", () => {
    const make = mp.Lock;
    expect(make()).toBeInstanceOf(mp.Lock);
    expect(new mp.Queue()).toBeInstanceOf(mp.Queue);
    expect([mp.Lock.name, mp.Queue.name, mp.Value.name, mp.Array.name, mp.Pipe.name]).toEqual(["Lock", "Queue", "Value", "Array", "Pipe"]);
    expect(mp.get_context().Lock()).toBeInstanceOf(mp.synchronize.Lock);
  });

  test("the default export is the namespace, with the submodules", () => {
    expect(mp.Process).toBe(named.Process);
    expect(typeof mp.connection.wait).toBe("function");
    expect(typeof mp.sharedctypes.copy).toBe("function");
    expect(mp.queues.Empty).toBe(mp.Empty);
    expect(new mp.TimeoutError()).toBeInstanceOf(mp.ProcessError);
    expect(new mp.BrokenBarrierError()).toBeInstanceOf(mp.py.RuntimeError);
  });

  test("set_forkserver_preload checks its argument", () => {
    expect(() => mp.set_forkserver_preload("x" as any)).toThrow("module_names must be a list of strings");
  });

  test("set_executable accepts a path as Python's does (str, bytes, PathLike, None) and refuses anything else with os.fsencode's TypeError", () => {
    for (const path of [process.execPath, Buffer.from(process.execPath), new URL(`file://${process.execPath}`)]) mp.set_executable(path);
    mp.get_context("spawn").set_executable(process.execPath);
    expect(() => mp.set_executable(3 as any)).toThrow(new mp.py.TypeError("expected str, bytes or os.PathLike object, not int"));
    expect(() => mp.set_executable(1.5 as any)).toThrow(new mp.py.TypeError("expected str, bytes or os.PathLike object, not float"));
    mp.set_executable(null); // None resets it, as in Python
  });
});
