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

/** Runs a batch of chunks; each chunk counts as one task for maxtasksperchild. */
export default async function runBatch(batch: BatchTask): Promise<ChunkResult[]> {
  const out: ChunkResult[] = [];
  for (const chunk of batch.chunks) out.push(await runChunk(chunk));
  return out;
}

/** Runs one chunk: every item through the function, as CPython's mapstar/starmapstar. */
async function runChunk(task: ChunkTask): Promise<ChunkResult> {
  if (data.maxtasksperchild !== null && done >= data.maxtasksperchild) process.exit(kRetireExitCode);
  done++;
  try {
    const ref = task.fn as GlobalRef;
    await load([ref.module]);
    const fn = lookupGlobal(modules.get(ref.module), ref) as (...a: unknown[]) => unknown;
    const view = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length); // no copy
    const items = unpackItems(task.items);
    const kwargs = task.kwargs ? (decode(view(task.kwargs), 0, task.kwargs.length) as Record<string, unknown>) : null;
    const out: unknown[] = new Array(items.length);
    const plain = !task.star && !(kwargs && Object.keys(kwargs).length);
    for (let i = 0; i < items.length; i++) {
      let r: unknown;
      if (plain) {
        r = fn(items[i]); // map(): one argument, no array per call
      } else {
        const args = task.star ? [...(items[i] as unknown[])] : [items[i]];
        if (kwargs && Object.keys(kwargs).length) args.push(kwargs);
        r = fn(...args);
      }
      if (r !== null && typeof r === "object" && typeof (r as any).then === "function") r = await r;
      out[i] = r;
    }
    return { ok: true, values: packItems(out) };
  } catch (err) {
    return { ok: false, error: flatten(err) };
  }
}
