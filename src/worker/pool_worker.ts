// The task worker of a Pool: piscina's `filename`. Port of CPython's pool.worker(): runs the
// initializer once, then chunks of tasks, and retires after maxtasksperchild chunks (it exits
// with kRetireExitCode when the next chunk arrives; the host resubmits that chunk).

import { threadId } from "node:worker_threads";
import { workerData } from "piscina";
import { patchStdioSync } from "../shared/stdio.js";
import { isTypeScriptUrl, type ParentToChildSpec } from "../shared/protocol.js";
import { lookupGlobal, rebuildValue, type GlobalRef } from "../shared/reduction.js";
import { decode, encode, packItems, unpackItems, warmUp } from "../shared/codec.js";
import { formatException } from "../shared/traceback.js";
import { current, pidOf } from "../shared/current.js";
import { BaseException } from "../shared/pyerrors.js";
import { kRetireExitCode, kWorkerCounter, type BatchTask, type ChunkResult, type ChunkTask, type FlatError, type PoolWorkerData } from "../shared/pool_protocol.js";

patchStdioSync();

const data = workerData as PoolWorkerData;
const libraryDir = new URL("../", import.meta.url).href;
const modules = new Map<string, unknown>();
let tsx = false;

async function load(urls: Iterable<string>): Promise<void> {
  for (const url of urls) {
    if (modules.has(url)) continue;
    if (!tsx && isTypeScriptUrl(url)) {
      const api = await import(import.meta.resolve("tsx/esm/api"));
      api.register();
      tsx = true;
    }
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
await load(data.modules);
warmUp();
warmUpCalls();
if (data.initializer) {
  const init = rebuildValue(data.initializer, modules) as (...a: unknown[]) => unknown;
  const args = rebuildValue(data.initargs, modules) as unknown[];
  await init(...args);
}

const builtins = ["ValueError", "TypeError", "KeyError", "IndexError", "RuntimeError", "AssertionError", "OSError", "EOFError", "AttributeError",
  "NotImplementedError", "OverflowError", "ZeroDivisionError", "StopIteration", "LookupError", "Exception"];

function flatten(err: unknown): FlatError {
  // The nearest Python builtin class among the error's bases: main rebuilds the error on it.
  let base = "Exception";
  for (let p = err !== null && typeof err === "object" ? Object.getPrototypeOf(err) : null; p; p = Object.getPrototypeOf(p)) {
    if (builtins.includes(p.constructor?.name)) {
      base = p.constructor.name;
      break;
    }
  }
  const e = err as any;
  const props: Record<string, unknown> = {};
  if (e !== null && typeof e === "object") for (const k of Object.keys(e)) if (k !== "args") props[k] = e[k];
  const safe = (v: unknown) => {
    try {
      return new Uint8Array(encode(v));
    } catch {
      return null;
    }
  };
  return {
    name: e?.name ?? "Exception",
    base,
    message: e instanceof Error ? e.message : String(e),
    args: safe(e instanceof BaseException ? e.args : e instanceof Error ? [e.message] : [e]),
    props: safe(props),
    stack: e instanceof Error ? String(e.stack ?? "") : "",
    traceback: formatException(err, libraryDir),
  };
}

let done = 0;

/** Thenables test: a task function may be async. */
function isThenable(r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === "object" && typeof (r as any).then === "function";
}

/**
 * Calls fn on items[from...] into out[], synchronously; stops after the first result that is a
 * thenable and returns its index (items.length when none is). A plain function of its own, not
 * part of the async runner: V8 optimizes a long loop while it runs (on-stack replacement) only
 * in a synchronous function, so the first long chunk does not run at interpreter speed.
 */
function callEach(fn: (...a: unknown[]) => unknown, items: unknown[], out: unknown[], from: number, star: boolean, kwargs: Record<string, unknown> | null): number {
  for (let i = from; i < items.length; i++) {
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
  return items.length;
}

/**
 * Runs callEach() and the packing of its results over sample chunks while the worker boots, so
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
      callEach(fn, items, out, 0, false, null);
      unpackItems(packItems(out));
    }
  }
}

/** Functions already looked up, by module and export path. */
const functions = new Map<string, (...a: unknown[]) => unknown>();

/** Runs a batch of chunks; each chunk counts as one task for maxtasksperchild. */
export default function runBatch(batch: BatchTask): ChunkResult[] | Promise<ChunkResult[]> {
  const out: ChunkResult[] = [];
  for (let c = 0; c < batch.chunks.length; c++) {
    const r = runChunk(batch.chunks[c]!);
    if (r instanceof Promise) return finishBatch(batch, out, c, r);
    out.push(r);
  }
  return out;
}

/** The rest of a batch once one of its chunks had to wait. */
async function finishBatch(batch: BatchTask, out: ChunkResult[], c: number, pending: Promise<ChunkResult>): Promise<ChunkResult[]> {
  out.push(await pending);
  for (c++; c < batch.chunks.length; c++) out.push(await runChunk(batch.chunks[c]!));
  return out;
}

/** Runs one chunk: every item through the function, as CPython's mapstar/starmapstar. */
function runChunk(task: ChunkTask): ChunkResult | Promise<ChunkResult> {
  if (data.maxtasksperchild !== null && done >= data.maxtasksperchild) process.exit(kRetireExitCode);
  done++;
  const ref = task.fn as GlobalRef;
  const key = `${ref.module}#${ref.path}`;
  const fn = functions.get(key);
  if (fn === undefined) {
    return load([ref.module]).then(
      () => {
        try {
          functions.set(key, lookupGlobal(modules.get(ref.module), ref) as (...a: unknown[]) => unknown);
        } catch (err) {
          return { ok: false, error: flatten(err) } as ChunkResult;
        }
        done--; // counted when it runs
        return runChunk(task);
      },
      (err) => ({ ok: false, error: flatten(err) }) as ChunkResult,
    );
  }
  let items: unknown[];
  let out: unknown[];
  let kwargs: Record<string, unknown> | null = null;
  let i: number;
  try {
    items = unpackItems(task.items);
    if (task.kwargs) {
      const b = task.kwargs;
      kwargs = decode(Buffer.from(b.buffer, b.byteOffset, b.length), 0, b.length) as Record<string, unknown>;
      if (Object.keys(kwargs).length === 0) kwargs = null;
    }
    out = new Array(items.length);
    i = callEach(fn, items, out, 0, task.star, kwargs);
    if (i === items.length) return { ok: true, values: packItems(out) };
  } catch (err) {
    return { ok: false, error: flatten(err) };
  }
  return (async (): Promise<ChunkResult> => {
    try {
      while (i < items.length) {
        out[i] = await out[i];
        i = callEach(fn, items, out, i + 1, task.star, kwargs);
      }
      return { ok: true, values: packItems(out) };
    } catch (err) {
      return { ok: false, error: flatten(err) };
    }
  })();
}
