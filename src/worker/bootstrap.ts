// The only file given to `new Worker()`: the child side of starting a process, CPython's
// spawn.py _main() + process.py BaseProcess._bootstrap(). It
//   1. makes stdout/stderr synchronous (output must not wait for the parent's event loop),
//   2. registers tsx when a module to import is TypeScript (Node 20 does not pass tsx's hooks to
//      workers; feasibility.md §1),
//   3. imports the library, then the modules that define the target and the other functions and
//      classes of the arguments, and rebuilds them,
//   4. runs the target with Python's exit-code rules, joins its own children, flushes its queues,
//      and reports the exit code through the shared status word.
// A spare ("spawn") worker does steps 1-2 and loads the library ahead of time, then waits for the
// one process it will run; a warm ("forkserver") worker does steps 1-3 ahead of time and then
// serves processes one after another.

import { adoptEnvData } from "../shared/envdata.js";
import { receiveMessageOnPort, workerData, threadId } from "node:worker_threads";
import { patchStdioSync } from "../shared/stdio.js";
import { registerTsx, registerTsxFor } from "./tsx.js";
import { kBrand, reportExit, kStatusField, Status, type ParentToChildSpec } from "../shared/protocol.js";
import { lookupGlobal, moduleRegistry, rebuildValue, releaseReduced, type GlobalRef } from "../shared/reduction.js";
import { setImportingMain, setMainModuleUrl } from "../shared/bootstrapping.js";
import { formatException } from "../shared/traceback.js";
import { current, pidOf, runExitHooks } from "../shared/current.js";
import { SystemExit } from "../shared/pyerrors.js";
import { osThreadId, waitWhile } from "../shared/semlock.js";
import { WarmState, type WarmSpec } from "../popen/forkserver.js";
import { kTidCell } from "../popen/worker_thread.js";
import { SpareState, type SpareJob, type SpareSpec } from "../popen/spawn.js";

type Library = typeof import("../process.js");
type Py = typeof import("../py.js");

patchStdioSync();

/** The modules this thread imported, by URL: shared with the codec, which finds by-reference values there. */
const imported = moduleRegistry();

async function importModules(urls: string[]): Promise<void> {
  await registerTsxFor(urls);
  // While the target's modules run their top-level code, starting a process raises (CPython's
  // _check_not_importing_main): a program without the is_main guard cannot multiply itself.
  setImportingMain(true);
  try {
    for (const url of urls) if (!imported.has(url)) imported.set(url, await import(url));
  } finally {
    setImportingMain(false);
  }
}

let lib: Library;
let py: Py;
const libraryDir = new URL("../", import.meta.url).href;

async function loadLibrary(entry: string): Promise<void> {
  await import(entry); // registers every reducer
  lib ??= await import(new URL("./process.js", entry).href);
  py ??= await import(new URL("./py.js", entry).href);
}

/** The exit code of a finished target, per Python's rules (process.py _bootstrap). */
async function runTarget(proc: InstanceType<Library["Process"]>, spec: ParentToChildSpec): Promise<number> {
  let code = 0;
  process.exitCode = undefined; // a warm worker's previous process may have set it
  try {
    const r = proc.run();
    if (r !== null && typeof (r as any)?.then === "function") await r;
    // `process.exitCode = n` is how a Node program says sys.exit(n) without stopping at once.
    const asked = Number(process.exitCode ?? 0);
    if (Number.isInteger(asked) && asked !== 0) code = asked & 0xff;
  } catch (err) {
    if (err instanceof SystemExit) {
      code = py.exitStatusOf(err.code, py.sys.stderr);
    } else {
      code = 1;
      py.sys.stderr.write(`Process ${spec.name}:\n` + formatException(err, libraryDir));
    }
  } finally {
    // As CPython's _bootstrap: flush the std streams, then join children; the connections and
    // queues of this process are closed and flushed last (at "exit").
    for (const s of [py.sys.stdout, py.sys.stderr]) {
      try {
        s.flush?.();
      } catch {
        // a broken replacement stream must not hide the exit code
      }
    }
    try {
      lib._exitFunction();
    } catch {
      // a failing join must not hide the exit code
    }
    runExitHooks();
  }
  return code;
}

/** Rebuilds the process object and runs it; returns the exit code. */
async function runSpec(spec: ParentToChildSpec): Promise<number> {
  adoptEnvData(spec.envData); // what was published after this worker booted (a spare, a forkserver worker)
  current().pid = spec.pid ?? pidOf(threadId);
  current().name = spec.name;
  current().isChild = true;
  setMainModuleUrl(spec.mainUrl);
  (globalThis as any)[Symbol.for("multiprocessing-ts.parentPid")] = spec.parentPid;
  Atomics.store(spec.status, kStatusField, Status.running);
  Atomics.notify(spec.status, kStatusField); // a spare waits for this (popen/spawn.ts)
  let proc: InstanceType<Library["Process"]>;
  try {
    await loadLibrary(spec.libraryEntry);
    // Name and identity are in place before the modules' top-level code runs (as CPython's
    // spawn.prepare() sets the name before importing the main module).
    lib._adoptChildState(spec, new lib.Process({ name: spec.name }));
    await importModules(spec.modules);
    const call = rebuildValue(spec.run.call, imported) as { target: any; args: unknown[]; kwargs: Record<string, unknown> };
    if (spec.run.instance) {
      const inst = spec.run.instance as { cls: GlobalRef; fields: unknown };
      const cls = lookupGlobal(imported.get(inst.cls.module), inst.cls) as any;
      // Like unpickling: the base constructor sets up the private state, the subclass's own
      // constructor does not run, and the instance's fields are restored as they were.
      proc = Reflect.construct(lib.BaseProcess, [{ target: call.target, args: call.args, kwargs: call.kwargs }], cls);
      Object.assign(proc, rebuildValue(inst.fields, imported));
    } else {
      proc = new lib.Process({ target: call.target, args: call.args, kwargs: call.kwargs } as any);
    }
  } catch (err) {
    (py?.sys.stderr ?? process.stderr).write(formatException(err, libraryDir)); // py is unset if the library failed to load
    return 1;
  }
  lib._adoptChildState(spec, proc);
  return runTarget(proc, spec);
}

// A target that calls process.exit(n) ends the thread at once: report n on the way out.
let currentSpec: ParentToChildSpec | null = null;
process.on("exit", (code) => {
  runExitHooks();
  if (currentSpec) {
    releaseReduced(currentSpec.run);
    reportExit(currentSpec.status, code & 0xff);
  }
});

/** Runs one process on this worker, then ends the worker with the process's exit code. */
async function runOnce(spec: ParentToChildSpec): Promise<never> {
  currentSpec = spec;
  const code = await runSpec(spec);
  releaseReduced(spec.run); // handles this process was given and did not close (e.g. it failed early)
  reportExit(spec.status, code);
  process.exit(code);
}

/** How long a spare waits for the child started beside it to be running. */
const kSpareHoldBackMs = 200;

/** Waits up to `ms` while the process with status cells `status` is starting. */
function waitWhileStarting(status: Int32Array, ms: number): void {
  const deadline = performance.now() + ms;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0 || Atomics.load(status, kStatusField) !== Status.starting) return;
    waitWhile(status, kStatusField, Status.starting, left);
  }
}

/** Makes this worker's process.env the parent's (it was copied when the worker booted). */
function adoptEnv(env: Record<string, string | undefined>): void {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && process.env[k] !== v) process.env[k] = v;
}

async function main(): Promise<void> {
  const data = workerData as WarmSpec | SpareSpec;
  if (!data || (data as any)[kBrand] !== 1) throw new Error("multiprocessing-ts: bootstrap started without a process description");
  if ("spare" in data) {
    // Spare ("spawn") worker: load the library, wait to be given a process, run it, end.
    const { control, port, libraryEntry, tsx, after } = data.spare;
    Atomics.store(control, kTidCell, osThreadId()); // the parent's join() after terminate() watches it
    if (after) waitWhileStarting(after, kSpareHoldBackMs);
    // A failure here is left for runSpec(), which loads the library again and reports the error
    // as the child's exit code 1: thrown now, it would end the worker with nothing reported to a
    // parent blocked in join() (the 'exit' event needs its event loop).
    await loadLibrary(libraryEntry).catch(() => {});
    if (tsx) await registerTsx().catch(() => {}); // importModules reports a missing tsx
    while (Atomics.load(control, 0) === SpareState.waiting) waitWhile(control, 0, SpareState.waiting, Infinity);
    if (Atomics.load(control, 0) === SpareState.quit) process.exit(0);
    let msg;
    // The parent posts the job before it flips the control word; the message may still be on its way through the port.
    while (!(msg = receiveMessageOnPort(port))) waitWhile(control, 0, SpareState.claimed, 1);
    port.close();
    const job = msg.message as SpareJob;
    adoptEnv(job.env);
    return runOnce(job.spec);
  }
  // Warm worker: load what the next process will need, then serve processes one at a time.
  const { control, port, preload, libraryEntry } = data.warm;
  Atomics.store(control, kTidCell, osThreadId()); // the parent's join() after terminate() watches it
  await loadLibrary(libraryEntry).catch(() => {}); // reported by runSpec(), as for a spare
  await importModules(preload).catch(() => {});
  const baseline = resourceCounts();
  for (;;) {
    while (Atomics.load(control, 0) === WarmState.idle) waitWhile(control, 0, WarmState.idle, Infinity);
    if (Atomics.load(control, 0) === WarmState.quit) process.exit(0);
    const msg = receiveMessageOnPort(port);
    if (!msg) {
      waitWhile(control, 0, WarmState.busy, 1);
      continue;
    }
    const spec = msg.message as ParentToChildSpec;
    currentSpec = spec;
    const code = await runSpec(spec);
    releaseReduced(spec.run);
    if (!sameResources(baseline, resourceCounts())) {
      reportExit(spec.status, code);
      process.exit(code);
    }
    // Go idle before reporting, so that a parent that start()s right after join() finds us.
    currentSpec = null;
    Atomics.store(control, 0, WarmState.idle);
    reportExit(spec.status, code);
  }
}

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of (process as any).getActiveResourcesInfo?.() ?? []) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

function sameResources(a: Map<string, number>, b: Map<string, number>): boolean {
  for (const [k, v] of b) if (v > (a.get(k) ?? 0)) return false;
  return true;
}

await main();
