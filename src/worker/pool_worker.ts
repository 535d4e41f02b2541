// The task worker of a Pool: piscina's `filename`. Port of CPython's pool.worker(): runs the
// initializer once, then chunks of tasks, and retires after maxtasksperchild chunks (it exits
// with kRetireExitCode when the next chunk arrives; the host resubmits that chunk).

import { parentPort, threadId } from "node:worker_threads";
import { workerData } from "piscina";
import { patchStdioSync } from "../shared/stdio.js";
import { type ParentToChildSpec } from "../shared/protocol.js";
import { adoptEnvData } from "../shared/envdata.js";
import { registerTsxFor } from "./tsx.js";
import { lookupGlobal, moduleRegistry, rebuildValue, type GlobalRef } from "../shared/reduction.js";
import { setImportingMain } from "../shared/bootstrapping.js";
import { decode, encode, packItems, sliceItems, unpackItems, warmUp } from "../shared/codec.js";
import { flatten } from "./task_errors.js";
import { repr } from "../shared/format.js";
import { current, pidOf } from "../shared/current.js";
import { kRetireExitCode, kWorkerCounter, type BatchTask, type ChunkRun, type ClaimResult, type ClaimTask, type FlatError, type PoolTask, type PoolWorkerData, type RunResult } from "../shared/pool_protocol.js";

patchStdioSync();

const data = workerData as PoolWorkerData;
const modules = moduleRegistry(); // shared with the codec: by-reference items are found there

async function load(urls: Iterable<string>): Promise<void> {
  for (const url of urls) {
    if (modules.has(url)) continue;
    await registerTsxFor([url]);
    modules.set(url, await import(url));
  }
}

// Become a daemonic child named like CPython's pool workers before user code runs.
await import(data.libraryEntry); // every reducer
const proc = await import(new URL("./process.js", data.libraryEntry).href);
const n = Atomics.add(data.control, kWorkerCounter, 1) + 1;
const name = `SpawnPoolWorker-${n}`;
current().pid = pidOf(threadId);
proc._adoptChildState(
  {
    name, identity: [n], daemon: true, authkey: proc.current_process().authkey, startMethod: "spawn",
    parentName: data.parentName, parentPid: data.parentPid, parentStatus: proc._ownStatus(),
  } as unknown as ParentToChildSpec,
  new proc.Process({ name }),
);
// A worker whose modules cannot load, or whose initializer raises, stays up and fails every task
// it is given with that error: ended instead, it would be replaced by one that fails the same
// way, and a map() waiting on it would never return (CPython's pool does just that with a
// raising initializer: it starts new workers forever and the map hangs).
let startupError: unknown = null;
try {
  setImportingMain(true); // a Pool() at the top level of an unguarded main module raises here
  await load(data.modules).finally(() => setImportingMain(false));
  if (data.initializer) {
    const init = rebuildValue(data.initializer, modules) as (...a: unknown[]) => unknown;
    const args = rebuildValue(data.initargs, modules) as unknown[];
    await init(...args);
  }
} catch (err) {
  startupError = err;
}
if (data.initializer) parentPort!.postMessage({ op: "initialized", threadId }); // pool_host's close() waits for it

let done = 0;
let exiting = false;
process.once("exit", () => {
  exiting = true;
});

/** Thenables test: a task function may be async. */
function isThenable(r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === "object" && typeof (r as any).then === "function";
}

/**
 * Calls fn on items[from] up to items[to - 1] into out[], synchronously; stops after the first
 * result that is a thenable and returns its index (`to` when none is). A plain function of its
 * own, not part of the async runner: V8 optimizes a long loop while it runs (on-stack
 * replacement) only in a synchronous function, so the first long chunk does not run at
 * interpreter speed.
 */
function callEach(fn: (...a: unknown[]) => unknown, items: unknown[], out: unknown[], from: number, to: number, star: boolean, kwargs: Record<string, unknown> | null): number {
  for (let i = from; i < to; i++) {
    let r: unknown;
    if (!star && kwargs === null) {
      r = fn(items[i]); // map(): one argument, no array per call
    } else {
      const args = star ? [...(items[i] as unknown[])] : [items[i]];
      if (kwargs !== null) args.push(kwargs);
      r = fn(...args);
    }
    out[i] = r;
    if (isThenable(r)) return i;
  }
  return to;
}

/** Items in a task from which warming up pays for itself (a short script's few items do not). */
const kWarmUpItems = 1024;
let warmed = false;

/** Warms the codec and the call loop up before the first task with many items (see warmUpCalls()). */
function warmUpFor(items: number): void {
  if (warmed || items < kWarmUpItems) return;
  warmed = true;
  warmUp();
  warmUpCalls();
}

/**
 * Runs callEach() and the packing of its results over sample chunks before the first long task, so
 * that the first real chunk runs optimized code. Two sample functions: the call site stays
 * generic, and the first real function does not throw the optimized code away.
 */
function warmUpCalls(): void {
  const ints = Array.from({ length: 5000 }, (_, i) => i);
  const samples = [(x: unknown) => (x as number) * 2, (x: unknown) => (x as number) + 0.5];
  for (let r = 0; r < 4; r++) {
    for (const fn of samples) {
      const items = unpackItems(packItems(ints));
      const out = new Array(items.length);
      callEach(fn, items, out, 0, items.length, false, null);
      unpackItems(packItems(out));
    }
  }
}

/** Functions already looked up, by module and export path. */
const functions = new Map<string, (...a: unknown[]) => unknown>();

/**
 * Runs a piscina task of the Pool: a batch of runs, or one claimed chunk, after one turn of the
 * event loop. piscina calls the handler of a task waiting in this worker behind another in the
 * same round of microtasks as the other's handler, before it posts the other's result: run at
 * once, the second task would hold back the first one's result until it is done too, and the
 * host would hear of both together, with nothing more sent to this worker meanwhile.
 */
export default function runTask(task: PoolTask): Promise<RunResult[] | ClaimResult> {
  return nextTurn().then(() => ("claim" in task ? runClaim(task.claim) : runBatch(task)));
}

/** Resolves after one turn of the event loop (the microtasks queued before it run first). */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Runs a batch: its runs one after the other; each chunk counts as one task for maxtasksperchild. */
function runBatch(batch: BatchTask): RunResult[] | Promise<RunResult[]> {
  if (!warmed) warmUpFor(batch.runs.reduce((n, r) => n + r.items.length, 0));
  const out: RunResult[] = [];
  for (let r = 0; r < batch.runs.length; r++) {
    const res = runRun(batch.runs[r]!);
    if (res instanceof Promise) return finishBatch(batch, out, r, res);
    out.push(res);
  }
  return out;
}

/** The rest of a batch once one of its runs had to wait. */
async function finishBatch(batch: BatchTask, out: RunResult[], r: number, pending: Promise<RunResult>): Promise<RunResult[]> {
  out.push(await pending);
  for (r++; r < batch.runs.length; r++) out.push(await runRun(batch.runs[r]!));
  return out;
}

/** Claims the job's next chunk, if any is left, and runs it. */
function runClaim(claim: ClaimTask): ClaimResult | Promise<ClaimResult> {
  warmUpFor(claim.run.items.length);
  // The function's module is loaded before the chunk is taken: the next task would take another
  // one meanwhile, which is lost with this worker if the first chunk makes it exit.
  const ref = claim.run.fn as GlobalRef;
  if (!modules.has(ref.module)) {
    // A turn of the event loop after the load, as in runTask(): the tasks that waited for the
    // same load take their chunks one after the other, each once the one before has posted.
    const go = () => nextTurn().then(() => claimAndRun(claim));
    return load([ref.module]).then(go, go); // a failed load fails the chunk, in runRun
  }
  return claimAndRun(claim);
}

function claimAndRun(claim: ClaimTask): ClaimResult | Promise<ClaimResult> {
  // A thread ending (a task called process.exit()) may still run a little JavaScript before it
  // stops: it must not take a chunk that it would never run.
  if (exiting) return { chunk: -1, ms: 0, result: null };
  // The chunk is taken only now that the task runs, not when it was sent: a task that waited
  // behind this worker's previous one takes whatever is left, so a slower worker never holds a
  // chunk that an idle one could run. The add hands each chunk to exactly one task; the slot
  // tells the host which one this task holds, should it crash or be aborted.
  const k = Atomics.add(claim.cursor, 0, 1);
  if (k >= claim.count) return { chunk: -1, ms: 0, result: null };
  Atomics.store(claim.slot, 0, k);
  const cs = claim.run.chunksize;
  const t0 = performance.now();
  const res = runRun({ ...claim.run, items: sliceItems(claim.run.items, k * cs, (k + 1) * cs) });
  if (res instanceof Promise) return res.then((result) => ({ chunk: k, ms: performance.now() - t0, result }));
  return { chunk: k, ms: performance.now() - t0, result: res };
}

/** A run in progress. */
interface RunState {
  fn: (...a: unknown[]) => unknown;
  items: unknown[];
  out: unknown[];
  /** Items per chunk. */
  size: number;
  star: boolean;
  kwargs: Record<string, unknown> | null;
  failures: Array<[number, FlatError]>;
}

/** Every chunk of a run failed with `err` (its function or its items could not be loaded). */
function failRun(run: ChunkRun, err: unknown): RunResult {
  const n = run.items.length;
  const chunks = run.chunksize ? Math.ceil(n / run.chunksize) : 1;
  const error = flatten(err);
  return { values: [], failures: Array.from({ length: chunks }, (_, k) => [k, error] as [number, FlatError]) };
}

/** Runs a run's chunks, as CPython's mapstar/starmapstar runs one: every item through the function. */
function runRun(run: ChunkRun): RunResult | Promise<RunResult> {
  if (startupError !== null) return failRun(run, startupError);
  if (run.env !== null) adoptEnvData(run.env);
  const ref = run.fn;
  const key = `${ref.module}#${ref.path}`;
  let fn = ref.self ? undefined : functions.get(key);
  if (ref.self) {
    // A callable object: its class's module is loaded; the instance is rebuilt for this run.
    if (!modules.has(ref.module)) return load([ref.module]).then(() => runRun(run), (err) => failRun(run, err));
    try {
      const self = ref.self;
      const obj = decode(Buffer.from(self.buffer, self.byteOffset, self.length), 0, self.length) as { __call__: (...a: unknown[]) => unknown };
      fn = (...a: unknown[]) => obj.__call__(...a);
    } catch (err) {
      return failRun(run, err);
    }
  } else if (fn === undefined) {
    // Its module loaded: looked up at once, so that the run stays synchronous.
    if (!modules.has(ref.module)) return load([ref.module]).then(() => runRun(run), (err) => failRun(run, err));
    try {
      fn = lookupGlobal(modules.get(ref.module), ref) as (...a: unknown[]) => unknown;
    } catch (err) {
      return failRun(run, err);
    }
    functions.set(key, fn);
  }
  let st: RunState;
  try {
    const items = unpackItems(run.items);
    let kwargs: Record<string, unknown> | null = null;
    if (run.kwargs) {
      const b = run.kwargs;
      kwargs = decode(Buffer.from(b.buffer, b.byteOffset, b.length), 0, b.length) as Record<string, unknown>;
      if (Object.keys(kwargs).length === 0) kwargs = null;
    }
    st = { fn, items, out: new Array(items.length), size: run.chunksize || items.length, star: run.star, kwargs, failures: [] };
  } catch (err) {
    return failRun(run, err);
  }
  return continueRun(st, 0, 0);
}

/** A chunk failed: its places hold null, and the error is recorded under its index in the run. */
function failChunk(st: RunState, start: number, err: unknown): void {
  st.out.fill(null, start, Math.min(start + st.size, st.items.length));
  st.failures.push([start / st.size, flatten(err)]);
}

/**
 * Runs the chunks from the one starting at item `start`, resuming it at item `i`; synchronous
 * until a result is a thenable.
 */
function continueRun(st: RunState, start: number, i: number): RunResult | Promise<RunResult> {
  for (; start < st.items.length; start += st.size, i = start) {
    if (i === start) {
      if (data.maxtasksperchild !== null && done >= data.maxtasksperchild) process.exit(kRetireExitCode);
      done++;
    }
    try {
      const end = Math.min(start + st.size, st.items.length);
      const at = callEach(st.fn, st.items, st.out, i, end, st.star, st.kwargs);
      if (at < end) return awaitAt(st, start, at);
    } catch (err) {
      failChunk(st, start, err);
    }
  }
  return packResults(st);
}

/**
 * Packs a run's results. A chunk whose results cannot travel back (a function, a shared object)
 * fails alone with Python's MaybeEncodingError, as CPython's worker wraps a result that does not
 * pickle; the run's other chunks still return.
 */
function packResults(st: RunState): RunResult {
  try {
    return { values: packItems(st.out), failures: st.failures };
  } catch {
    for (let start = 0; start < st.items.length; start += st.size) {
      const end = Math.min(start + st.size, st.items.length);
      const chunk = st.out.slice(start, end);
      try {
        encode(chunk);
      } catch (err) {
        st.out.fill(null, start, end);
        st.failures.push([start / st.size, maybeEncodingError(err, st.size === 1 ? chunk[0] : chunk)]);
      }
    }
    return { values: packItems(st.out), failures: st.failures };
  }
}

/** The flat form of MaybeEncodingError(exc, value): reprs of the error and of the result. */
function maybeEncodingError(err: unknown, value: unknown): FlatError {
  const exc = repr(err);
  const val = repr(value);
  return {
    name: "MaybeEncodingError",
    base: "MaybeEncodingError",
    message: `Error sending result: '${val}'. Reason: '${exc}'`,
    args: null,
    props: new Uint8Array(encode({ exc, value: val })),
    stack: "",
    traceback: "",
  };
}

/** Waits for the thenable result of item `at`, then goes on with the run. */
async function awaitAt(st: RunState, start: number, at: number): Promise<RunResult> {
  try {
    st.out[at] = await st.out[at];
  } catch (err) {
    failChunk(st, start, err);
    return continueRun(st, start + st.size, start + st.size);
  }
  return continueRun(st, start, at + 1);
}
