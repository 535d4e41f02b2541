// Facts about the running process (this thread) that every module needs: its name and pid.
// Kept on globalThis so the ESM and CommonJS builds loaded into one thread agree.

import { isMainThread, threadId } from "node:worker_threads";

/** What the library knows about the process running this thread. */
export interface CurrentInfo {
  name: string;
  /** Python's pid: the OS pid on the main thread, a distinct number in each child. */
  pid: number;
  /** True inside a process started by this library (spawn or forkserver). */
  isChild: boolean;
}

const kCurrent = Symbol.for("multiprocessing-ts.current");

/** Python's pid for a thread of this OS process: distinct per child, the OS pid on main. */
export function pidOf(thread: number): number {
  return process.pid + thread;
}

/** The running process's facts (created on first use). */
export function current(): CurrentInfo {
  return ((globalThis as any)[kCurrent] ??= {
    name: "MainProcess",
    pid: pidOf(threadId),
    isChild: !isMainThread,
  });
}

/** A printable hex address for an object, as Python's id() in reprs. */
export function addressOf(obj: object): string {
  let a = addresses.get(obj);
  if (a === undefined) {
    a = "0x7f" + (0x10000000 + nextAddress++ * 0x40 + threadId * 0x1000000).toString(16);
    addresses.set(obj, a);
  }
  return a;
}
const addresses = new WeakMap<object, string>();
let nextAddress = 1;

// --- exit hooks: CPython's util.Finalize with an exitpriority, in a small form ---------------

const kExitHooks = Symbol.for("multiprocessing-ts.exitHooks");
type Hook = { priority: number; fn: () => void };

/** Runs `fn` when this process exits (higher priority first): queue flushes, handle closes. */
export function atExit(fn: () => void, priority = 0): () => void {
  const hooks: Hook[] = ((globalThis as any)[kExitHooks] ??= []);
  const hook = { priority, fn };
  hooks.push(hook);
  return () => {
    const i = hooks.indexOf(hook);
    if (i >= 0) hooks.splice(i, 1);
  };
}

/**
 * Runs the exit hooks; errors in one hook do not stop the others. The hooks stay registered:
 * they are idempotent module-level hooks, and a reused forkserver worker runs them again at the
 * end of its next process.
 */
export function runExitHooks(): void {
  const hooks: Hook[] = ((globalThis as any)[kExitHooks] ??= []);
  const order = [...hooks].sort((a, b) => b.priority - a.priority);
  for (const h of order) {
    try {
      h.fn();
    } catch {
      // an exit hook must not keep the others from running
    }
  }
}
