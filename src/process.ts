// Port of CPython Lib/multiprocessing/process.py (PSF-2.0): BaseProcess, current_process,
// parent_process, active_children, and the exit function that joins children.
// Differs from Python: children are worker threads (see popen/); pids are distinct numbers per
// child but not OS pids; targets are found in the child by module URL and export name.

import { randomBytes } from "node:crypto";
import { isMainThread } from "node:worker_threads";
import { inspect } from "node:util";
import { pathToFileURL } from "node:url";
import { current } from "./shared/current.js";
import { PyObject } from "./shared/pyobject.js";
import { AssertionError, AttributeError, ValueError } from "./shared/pyerrors.js";
import { isTypeScriptUrl, kStatusField, newStatusCells, Status, type ParentToChildSpec } from "./shared/protocol.js";
import { checkNotImportingMain, mainModuleUrl } from "./shared/bootstrapping.js";
import { reduceValue, globalRefOf, modulesOf, releaseReduced, type ReduceOptions } from "./shared/reduction.js";
import { waitWhile } from "./shared/semlock.js";
import { callerModule, definingModule } from "./popen/locate.js";
import { envSnapshot } from "./shared/envdata.js";
import { libraryDir, libraryEntry, needsTsx, prepareChild, startChild } from "./popen/index.js";
import { entryUrl } from "./process/main_module.js";
import type { Popen } from "./popen/worker_thread.js";
import { anyValue, as, callableValue, p, sig, type ArgsFor, type Bound, type KeywordSplit, type TooManyArguments } from "./shared/binder.js";
import * as cv from "./shared/convert.js";

type AnyFn = (...args: any[]) => unknown;

interface BaseOptions {
  /** Must be null/undefined, as in Python. */
  group?: null;
  /** The process name; defaults to `Process-N`. */
  name?: string | null;
  /** Daemonic processes are terminated when their parent exits; defaults to the creator's flag. */
  daemon?: boolean | null;
  /** The module that exports the target (defaults to where it is defined): pass `import.meta`. */
  module?: ImportMeta | string;
}

/**
 * Keyword arguments of `new Process(...)`. `args` must fit the target's parameters; non-empty
 * `kwargs` arrive as one more argument after `args`, so they must fit the parameter after them.
 */
export type ProcessOptions<F extends AnyFn> = BaseOptions &
  ({ target?: Target<F> | null; args?: ArgsFor<Parameters<F>>; kwargs?: undefined | Record<string, never> } | WithKwargs<F, KeywordSplit<Parameters<F>>>);
// Past `args`, the slots keep the parameters' types (intersected with TooManyArguments, so that
// nothing fills them): an argument of the wrong type there reads as its parameter's type.
type WithKwargs<F extends AnyFn, S> = S extends { args: infer A extends unknown[]; kw: infer K } ? { target: Target<F>; args?: [...A, ...Unfillable<After<Parameters<F>, A>>]; kwargs: K } : never;
/** A target: a function, or an object with `__call__` (a task object, as Python calls it). */
type Target<F extends AnyFn> = F | { __call__: F };
type After<P extends unknown[], A extends unknown[]> = P extends [...A, ...infer R] ? R : P extends [...A, ...infer R] | [...A] ? R : [];
type Unfillable<R extends unknown[]> = { [I in keyof R]?: R[I] & TooManyArguments };

/** `BaseProcess.__init__(group=None, target=None, name=None, args=(), kwargs={}, *, daemon=None)`, plus `module`. */
const PROCESS_INIT = sig("BaseProcess.__init__", [
  p("group", as<null>(), { default: null }),
  p("target", as<AnyFn | { __call__: AnyFn } | null>(), { default: null, object: callableValue }),
  p("name", as<string | null>(), { default: null }),
  p("args", as<Iterable<unknown>>(), { default: [] }),
  p("kwargs", as<Record<string, unknown>>(), { default: {}, object: anyValue }),
  p("daemon", as<boolean | null>(), { kind: "keyword-only", default: null }),
  p("module", as<ImportMeta | string | null>(), { kind: "keyword-only", default: null }),
], { method: true });
const JOIN = sig("BaseProcess.join", [p("timeout", as<number | null>(), { default: null })], { method: true });
const PARENT_JOIN = sig("_ParentProcess.join", [p("timeout", as<number | null>(), { default: null })], { method: true });
/** Arguments of `new Process(...)`: one options object (typed by the target), or Python's positionals. */
export type ProcessArgs<F extends AnyFn> = [options?: ProcessOptions<F>] | ProcessPositionalArgs<F>;
/** Python's positional spelling of `new Process(...)`: `(group, target, name, args, kwargs, { daemon })`. */
export type ProcessPositionalArgs<F extends AnyFn> = Bound<typeof PROCESS_INIT, { target: Target<F> | null; args: ArgsFor<Parameters<F>> }>;
/** Arguments of join(): `()`, `(0.5)`, `({ timeout: 0.5 })`. */
export type JoinArgs = Bound<typeof JOIN>;

// --- process-wide state ------------------------------------------------------------------------

/** The process-wide state, kept on globalThis so the ESM and CommonJS builds in one thread share it. */
interface ProcessState {
  counter: number;
  identity: number[];
  daemon: boolean;
  authkey: Uint8Array;
  parent: ParentProcess | null;
  current: BaseProcess | null;
  children: Set<BaseProcess>;
  bySentinel: Map<number, BaseProcess>;
  ownStatus: Int32Array;
}
const S: ProcessState = ((globalThis as any)[Symbol.for("multiprocessing-ts.process")] ??= {
  counter: 0,
  identity: [],
  daemon: false,
  authkey: randomBytes(32),
  parent: null,
  current: null,
  children: new Set(),
  bySentinel: new Map(),
  ownStatus: (() => {
    const cells = newStatusCells();
    cells[kStatusField] = Status.running;
    return cells;
  })(),
});
const children = S.children;
const bySentinel = S.bySentinel;
const ownStatus = S.ownStatus;

let defaultMethod: () => string = () => "spawn";
/** @internal context.ts tells which start method the default context uses (and fixes it). */
export function _setDefaultMethodResolver(fn: () => string): void {
  defaultMethod = fn;
}
let forceStartMethod: (method: string) => void = () => {};
/** @internal context.ts tells how a child makes its own start method the default one. */
export function _setStartMethodForcer(fn: (method: string) => void): void {
  forceStartMethod = fn;
}

const kClosed = "process object is closed";

function reapFinished(): void {
  for (const p of children) if (p._poll() !== null) children.delete(p);
}

function reapAndCount(): number {
  reapFinished();
  return children.size;
}

/** Turns `import.meta`, a URL or a path into a module URL. */
function moduleUrlOf(m: ImportMeta | string): string {
  if (typeof m === "object") return m.url;
  return m.startsWith("file:") ? m : pathToFileURL(m).href;
}

// --- BaseProcess -------------------------------------------------------------------------------

/**
 * Process objects represent activity that is run in a separate process (a worker thread).
 * Override `run()` in an exported subclass, or pass a `target`.
 */
export class BaseProcess<F extends AnyFn = AnyFn> extends PyObject {
  #target: AnyFn | null;
  #args: unknown[];
  #kwargs: Record<string, unknown>;
  #name: string;
  #daemon: boolean;
  #identity: number[];
  #parentPid: number;
  #parentName: string;
  #authkey: Uint8Array;
  #popen: Popen | null = null;
  /** What was sent to the child: its handles are released here if the child could not. */
  #sent: unknown = null;
  #closed = false;
  #module: string | null;
  #callerModule: string | null;
  #startMethod: string | null = null;
  /** @internal set in the child for current_process() */
  #isCurrent = false;

  // The options form is the last overload: TypeScript explains a call that fits none against it.
  /** Python's positionals: `new Process(null, target, name, args, kwargs, { daemon })`. */
  constructor(...params: ProcessPositionalArgs<F>);
  /** `new Process({ target, args, kwargs, name, daemon })`: `args` must fit the target's parameters. */
  constructor(options?: ProcessOptions<F>);
  constructor(...params: ProcessArgs<F>) {
    super();
    const [group, target, name, args, kwargs, daemon, module] = PROCESS_INIT.bind(params);
    if (group !== null && group !== undefined) throw new AssertionError("group argument must be None for now");
    const count = ++S.counter;
    this.#identity = [...S.identity, count];
    this.#target = (target ?? null) as AnyFn | null; // a callable object is called through its __call__ (run())
    if (args !== undefined && args !== null && typeof (args as any)[Symbol.iterator] !== "function") {
      throw new (TypeErrorPy())(`'${typeof args === "number" ? (Number.isInteger(args) ? "int" : "float") : typeof args}' object is not iterable`);
    }
    this.#args = args ? [...args] : [];
    this.#kwargs = kwargs ? { ...kwargs } : {};
    this.#parentPid = current().pid;
    this.#parentName = current().name;
    this.#authkey = S.authkey;
    this.#daemon = daemon ?? S.daemon;
    this.#name = name ?? `${this.constructor.name}-${this.#identity.join(":")}`;
    if (typeof this.#name !== "string") throw new AssertionError("name must be a string");
    this.#module = module ? moduleUrlOf(module) : null;
    this.#callerModule = callerModule(libraryDir);
    if (target !== null && target !== undefined) {
      if (typeof target !== "function" && typeof (target as any)?.__call__ !== "function") throw new (TypeErrorPy())("target must be callable");
      if (typeof target === "function") globalRefOf(target, { locate: (fn) => this.#module ?? definingModule(fn), defaultModule: this.#module ?? this.#callerModule ?? undefined, what: "Process target" }); // refuses what cannot travel now
    }
  }

  /** Method to be run in the child; by default it calls `target(...args, kwargs)`. */
  run(): unknown {
    const target = this.#target;
    const args = Object.keys(this.#kwargs).length ? [...this.#args, this.#kwargs] : this.#args;
    if (target !== null && typeof target === "object") return (target as any).__call__(...args); // Python's callable object
    if (target) return Reflect.apply(target, undefined, args);
    return undefined;
  }

  #checkClosed(): void {
    if (this.#closed) throw new ValueError(kClosed);
  }

  /**
   * Start the child process's activity: runs `run()` in a new worker.
   * @throws ValueError when closed; AssertionError when started twice, not created by this
   * process, or when the caller is a daemonic process.
   */
  start(): void {
    this.#checkClosed();
    if (this.#popen !== null) throw new AssertionError("cannot start a process twice");
    if (this.#parentPid !== current().pid) throw new AssertionError("can only start a process object created by current process");
    if (S.daemon) throw new AssertionError("daemonic processes are not allowed to have children");
    checkNotImportingMain();
    reapFinished();
    const method = this.#startMethod ?? defaultMethod();
    const guess = this.#module ?? this.#callerModule;
    prepareChild(method, guess !== null && guess !== undefined && isTypeScriptUrl(guess));
    const spec = this.#makeSpec(method);
    this.#popen = startChild(method, spec);
    this.#sent = spec.run;
    this.#target = null;
    this.#args = [];
    this.#kwargs = {};
    children.add(this);
    bySentinel.set(this.#popen.pid, this);
  }

  #makeSpec(method: string): ParentToChildSpec {
    const fallback = this.#module ?? this.#callerModule ?? entryUrl() ?? undefined;
    const opts: ReduceOptions = {
      locate: (fn) => (this.#module && fn === this.#target ? this.#module : definingModule(fn)),
      defaultModule: fallback,
      what: "Process args",
    };
    let run: ParentToChildSpec["run"];
    const subclassed = this.constructor !== Process && Object.getPrototypeOf(this).run !== BaseProcess.prototype.run;
    if (subclassed || (this.constructor !== Process && !this.#target)) {
      const fields: Record<string, unknown> = {};
      for (const k of Object.keys(this)) fields[k] = (this as any)[k];
      run = {
        call: reduceValue({ target: this.#target, args: this.#args, kwargs: this.#kwargs }, opts),
        instance: { cls: globalRefOf(this.constructor, { ...opts, what: "Process subclass" }), fields: reduceValue(fields, opts) },
      };
    } else {
      run = { call: reduceValue({ target: this.#target, args: this.#args, kwargs: this.#kwargs }, opts), instance: null };
    }
    const modules = [...modulesOf(run)];
    const cls = (run.instance as { cls?: { module: string } } | null)?.cls;
    if (cls && !modules.includes(cls.module)) modules.push(cls.module);
    const me = current();
    return {
      __multiprocessing_ts__: 1,
      name: this.#name,
      identity: this.#identity,
      daemon: this.#daemon,
      authkey: this.#authkey,
      startMethod: method,
      parentName: me.name,
      parentPid: me.pid,
      parentStatus: ownStatus,
      status: newStatusCells(),
      modules,
      run,
      tsx: needsTsx(modules),
      libraryEntry,
      mainUrl: mainModuleUrl() ?? entryUrl(),
      envData: envSnapshot(),
    };
  }

  /** @internal the exit code or null, without checks. */
  _poll(): number | null {
    const code = this.#popen?.poll() ?? null;
    if (code !== null && this.#sent !== null) {
      // The child has ended: close the handles it held, in case it could not (terminated, crashed).
      const sent = this.#sent;
      this.#sent = null;
      releaseReduced(sent);
    }
    return code;
  }

  /** @internal the start method this process uses (set by context classes). */
  _setStartMethod(name: string): void {
    this.#startMethod = name;
  }

  #checkJoinable(what: string): Popen {
    this.#checkClosed();
    if (this.#parentPid !== current().pid || this.#isCurrent) throw new AssertionError(`can only ${what} a child process`);
    if (this.#popen === null) throw new AssertionError("can only join a started process");
    return this.#popen;
  }

  /**
   * Wait until the process terminates, or until `timeout` seconds pass. Always returns undefined
   * (Python's None): check `exitcode` or `is_alive()` to know whether it ended.
   */
  join(...args: JoinArgs): void {
    const [timeout] = JOIN.bind(args);
    const popen = this.#checkJoinable("join");
    // CPython's popen.wait() checks the timeout (connection.wait) unless the exit code is known.
    const code = popen.wait(timeout === null || popen.poll() !== null ? Infinity : cv.pollWaitMs(cv.pollTimeout(timeout)));
    if (code !== null) {
      children.delete(this);
      this._poll();
    }
  }

  /** Non-blocking twin of `join()`: resolves when the process ended or the timeout passed. */
  async join_async(...args: JoinArgs): Promise<void> {
    const [timeout] = JOIN.bind(args);
    const popen = this.#checkJoinable("join");
    const code = await popen.waitAsync(timeout === null || popen.poll() !== null ? Infinity : cv.pollWaitMs(cv.pollTimeout(timeout)));
    if (code !== null) {
      children.delete(this);
      this._poll();
    }
  }

  /** Return whether the process is alive. */
  is_alive(): boolean {
    this.#checkClosed();
    if (this.#isCurrent) return true;
    if (this.#parentPid !== current().pid) throw new AssertionError("can only test a child process");
    if (this.#popen === null) return false;
    if (this._poll() === null) return true;
    children.delete(this);
    return false;
  }

  #signal(sig: number, what: string): void {
    this.#checkClosed();
    if (this.#popen === null) throw new AttributeError(`'NoneType' object has no attribute '${what}'`);
    this.#popen.terminate(sig);
    this._poll();
  }

  /** Terminate the process (SIGTERM): its exitcode becomes -15. */
  terminate(): void {
    this.#signal(15, "terminate");
  }

  /** Kill the process (SIGKILL): its exitcode becomes -9. */
  kill(): void {
    this.#signal(9, "kill");
  }

  /**
   * Close the Process object, releasing the resources associated with it.
   * @throws ValueError if the process is still running.
   */
  close(): void {
    if (this.#popen !== null) {
      if (this.#popen.poll() === null) {
        throw new ValueError("Cannot close a process while it is still running. You should first call join() or terminate().");
      }
      bySentinel.delete(this.#popen.pid);
      this.#popen = null;
    }
    children.delete(this);
    this.#closed = true;
  }

  /** The process's name: used only for identification. */
  get name(): string {
    return this.#name;
  }
  set name(value: string) {
    if (typeof value !== "string") throw new AssertionError("name must be a string");
    this.#name = value;
    if (this.#isCurrent) current().name = value;
  }

  /** Whether the process is daemonic; settable only before start(). */
  get daemon(): boolean {
    return this.#daemon;
  }
  set daemon(value: boolean) {
    if (this.#popen !== null) throw new AssertionError("process has already started");
    this.#daemon = Boolean(value);
  }

  /** The authentication key (32 random bytes in the main process, inherited by children). */
  get authkey(): Buffer {
    return Buffer.from(this.#authkey);
  }
  set authkey(value: Uint8Array) {
    this.#authkey = Uint8Array.from(value);
  }

  /** The exit code: null while running; negative `-N` when killed by signal N. */
  get exitcode(): number | null {
    this.#checkClosed();
    return this._poll();
  }

  /** The process id: null before start. Distinct per process; not an OS pid. */
  get pid(): number | null {
    this.#checkClosed();
    if (this.#isCurrent) return current().pid;
    return this.#popen?.pid ?? null;
  }

  /** Same as `pid`. */
  get ident(): number | null {
    return this.pid;
  }

  /** An integer that `connection.wait()` reports ready when the process ends. */
  get sentinel(): number {
    this.#checkClosed();
    if (this.#popen === null) throw new ValueError("process not started");
    return this.#popen.pid;
  }

  /** `<Process name='Worker' pid=123 parent=100 started>`. */
  __repr__(): string {
    let exitcode: number | null = null;
    let status: string;
    if (this.#isCurrent) status = "started";
    else if (this.#closed) status = "closed";
    else if (this.#parentPid !== current().pid) status = "unknown";
    else if (this.#popen === null) status = "initial";
    else {
      exitcode = this.#popen.poll();
      status = exitcode !== null ? "stopped" : "started";
    }
    const info = [this.constructor.name, `name='${this.#name}'`];
    if (this.#popen !== null) info.push(`pid=${this.#popen.pid}`);
    info.push(`parent=${this.#parentPid}`, status);
    if (exitcode !== null) info.push(`exitcode=${exitcode === -15 ? "-SIGTERM" : exitcode === -9 ? "-SIGKILL" : exitcode}`);
    if (this.#daemon) info.push("daemon");
    return `<${info.join(" ")}>`;
  }

  /** @internal turns a rebuilt object into current_process() of a child. */
  _becomeCurrent(spec: ParentToChildSpec): void {
    this.#isCurrent = true;
    this.#name = spec.name;
    this.#identity = spec.identity;
    this.#daemon = spec.daemon;
    this.#authkey = spec.authkey;
    this.#parentPid = spec.parentPid;
    this.#parentName = spec.parentName;
    this.#startMethod = spec.startMethod;
    // In a child, the start method that started it becomes the default (as CPython's
    // BaseProcess._bootstrap does), so its own children start the same way.
    if (spec.parentPid !== null && spec.startMethod) forceStartMethod(spec.startMethod);
  }

  /** @internal */
  _parentName(): string {
    return this.#parentName;
  }
}


function TypeErrorPy(): any {
  return (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].TypeError;
}

/** A process started with the default start method ("spawn" unless set_start_method() said otherwise). */
export class Process<F extends AnyFn = AnyFn> extends BaseProcess<F> {}

// --- the main process and the parent -----------------------------------------------------------


class _MainProcess extends BaseProcess {
  constructor() {
    super({ name: "MainProcess" });
    S.counter--; // the main process takes no number from the Process-N sequence
    this._becomeCurrent({
      name: "MainProcess",
      identity: [],
      daemon: false,
      authkey: S.authkey,
      parentPid: null as unknown as number,
      parentName: "",
      startMethod: "spawn",
    } as unknown as ParentToChildSpec);
  }
  override get exitcode(): number | null {
    return null;
  }
  override __repr__(): string {
    return "<_MainProcess name='MainProcess' parent=None started>";
  }
}

/** The parent of a child process, as `parent_process()` returns it. */
export class ParentProcess extends PyObject {
  readonly #status: Int32Array;
  /** The parent's name. */
  readonly name: string;
  /** The parent's pid. */
  readonly pid: number;
  constructor(name: string, pid: number, status: Int32Array) {
    super();
    this.name = name;
    this.pid = pid;
    this.#status = status;
  }
  /** True while the parent runs. */
  is_alive(): boolean {
    return Atomics.load(this.#status, kStatusField) !== Status.exited;
  }
  /** Wait for the parent to exit (`timeout` in seconds). */
  join(...args: JoinArgs): void {
    const [timeout] = PARENT_JOIN.bind(args);
    const ms = timeout === null || !this.is_alive() ? Infinity : cv.pollWaitMs(cv.pollTimeout(timeout));
    const deadline = performance.now() + ms;
    while (this.is_alive()) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      waitWhile(this.#status, kStatusField, Status.running, left);
    }
  }
  /** Same as `pid`. */
  get ident(): number {
    return this.pid;
  }
  /** `<_ParentProcess name='MainProcess' parent=None unknown>`. */
  __repr__(): string {
    return `<_ParentProcess name='${this.name}' parent=None ${this.is_alive() ? "unknown" : "stopped"}>`;
  }
}

// --- module functions -------------------------------------------------------------------------

/** Return the Process object of the running process. */
export function current_process(): BaseProcess {
  return (S.current ??= new _MainProcess());
}

/** Return the Process object of the parent, or null in the main process. */
export function parent_process(): ParentProcess | null {
  return S.parent;
}

/** Return the list of all live children of the current process (joining finished ones). */
export function active_children(): BaseProcess[] {
  reapFinished();
  return [...children];
}

/** @internal the child Process object whose sentinel is `sentinel`. */
export function _processBySentinel(sentinel: number): BaseProcess | undefined {
  return bySentinel.get(sentinel);
}

/** @internal this process's own status cells (its children watch them). */
export function _ownStatus(): Int32Array {
  return ownStatus;
}

/** @internal called by the child's bootstrap before the target runs. */
export function _adoptChildState(spec: ParentToChildSpec, proc: BaseProcess): void {
  S.counter = 0;
  S.identity = spec.identity;
  S.daemon = spec.daemon;
  S.authkey = spec.authkey;
  S.parent = new ParentProcess(spec.parentName, spec.parentPid, spec.parentStatus);
  S.children.clear();
  S.bySentinel.clear();
  const info = current();
  info.name = spec.name;
  info.isChild = true;
  proc._becomeCurrent(spec);
  S.current = proc;
}

// --- exit: CPython's util._exit_function ----------------------------------------------------------

/** Terminates daemonic children, then joins the others (what every process does as it exits). */
export function _exitFunction(): void {
  for (const p of active_children()) if (p.daemon) p.terminate();
  for (const p of active_children()) p.join();
}

const kExitInstalled = Symbol.for("multiprocessing-ts.exitInstalled");
/** @internal installs the main thread's exit handling (children call _exitFunction themselves). */
export function _installMainExit(): void {
  if ((globalThis as any)[kExitInstalled] || !isMainThread) return;
  (globalThis as any)[kExitInstalled] = true;
  // Children are unref'd workers, so the event loop empties when the main script is done:
  // 'beforeExit' is Python's end of __main__. 'exit' covers process.exit() and uncaught errors.
  process.on("beforeExit", () => _exitFunction());
  // An uncaught error: Node runs the 'exit' handlers (our join of the children) before it prints
  // the error, so the traceback would come after everything the children print, where CPython
  // prints it first. With children alive and nobody else handling it, print it now, Node's way,
  // then exit with Node's code for it (1); the exit joins the children as usual.
  process.on("uncaughtExceptionMonitor", (err, origin) => {
    if (process.listenerCount("uncaughtException") > 0 || reapAndCount() === 0) return;
    process.once("uncaughtException", () => {
      const text = err instanceof Error ? inspect(err) : `Uncaught ${inspect(err)}`;
      process.stderr.write(`${origin === "unhandledRejection" && !(err instanceof Error) ? "" : "\n"}${text}\n\nNode.js ${process.version}\n`);
      process.exit(1);
    });
  });
  process.on("exit", () => {
    _exitFunction();
    Atomics.store(ownStatus, kStatusField, Status.exited);
    Atomics.notify(ownStatus, kStatusField);
  });
}

export { entryUrl, is_main } from "./process/main_module.js";
