// A task thread of a distributed Pool's worker process (worker/distributed_worker.ts): CPython's
// pool.worker() for one chunk at a time. It runs the Pool's initializer once (per Pool, the
// first time it runs one of that Pool's chunks), then the chunk: every item through the function,
// found by module path (relative to the project root) and export name. The chunk's results, or
// its exception with the worker's traceback, go back as one result entry. Tasks run here, not on
// the process's main thread, so that a long synchronous task never stops BullMQ from renewing
// the job's lock (the job would be taken for stalled and run twice).

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { patchStdioSync } from "../shared/stdio.js";
import { registerTsx, registerTsxFor } from "./tsx.js";
import { lookupGlobal, modulesOf, rebuildValue } from "../shared/reduction.js";
import { decode, encode } from "../shared/codec.js";
import { repr } from "../shared/format.js";
import { BaseException } from "../shared/pyerrors.js";
import { flatten } from "./distributed_errors.js";
import { entryHeader, type PoolConfig, type TaskMessage } from "../shared/distributed_protocol.js";

patchStdioSync();

const { root } = workerData as { root: string };
/** Imported modules by their spec (as the caller wrote it: root-relative or absolute). */
const modules = new Map<string, unknown>();
/** Pools whose initializer has run in this thread. */
const initialized = new Set<string>();

/** The file URL of a module spec: relative to the project root unless absolute. */
function urlOf(spec: string): string {
  if (spec.startsWith("file:")) return spec;
  return pathToFileURL(isAbsolute(spec) ? spec : resolve(root, spec)).href;
}

async function load(specs: Iterable<string>): Promise<void> {
  for (const spec of specs) {
    if (modules.has(spec)) continue;
    const url = urlOf(spec);
    // Node 20 does not hand tsx's hooks to worker threads: registered here, as the local Pool's workers do.
    await registerTsxFor([url]);
    modules.set(spec, await import(url));
  }
}

function decodeBytes(b: Uint8Array): unknown {
  return decode(Buffer.from(b.buffer, b.byteOffset, b.length), 0, b.length);
}

/** Rebuilds a reduced value, importing the modules that define its functions and classes first. */
async function rebuild(reduced: unknown): Promise<unknown> {
  const needed = modulesOf(reduced);
  if (needed.size) await load(needed);
  return rebuildValue(reduced, modules);
}

async function runChunk(m: TaskMessage): Promise<unknown[]> {
  if (!initialized.has(m.pool)) {
    const config = decodeBytes(m.config) as PoolConfig;
    await load(config.modules);
    if (config.initializer) {
      const init = rebuildValue(config.initializer, modules) as (...a: unknown[]) => unknown;
      const args = (await rebuild(config.initargs)) as unknown[];
      await init(...args);
    }
  }
  initialized.add(m.pool);
  await load([m.module]);
  const fn = lookupGlobal(modules.get(m.module), { module: m.module, path: m.path }) as (...a: unknown[]) => unknown;
  const items = (await rebuild(decodeBytes(m.items))) as unknown[];
  let kwargs = m.kwargs ? ((await rebuild(decodeBytes(m.kwargs))) as Record<string, unknown>) : null;
  if (kwargs && Object.keys(kwargs).length === 0) kwargs = null;
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    let r: unknown;
    if (!m.star && kwargs === null) r = fn(items[i]);
    else {
      const args = m.star ? [...(items[i] as unknown[])] : [items[i]];
      if (kwargs !== null) args.push(kwargs);
      r = fn(...args);
    }
    if (r !== null && typeof r === "object" && typeof (r as any).then === "function") r = await r;
    out[i] = r;
  }
  return out;
}

/** The chunk's result entry: header, then `[ok, results or FlatError]`. */
async function run(m: TaskMessage): Promise<Uint8Array> {
  let body: Buffer;
  try {
    const out = await runChunk(m);
    try {
      body = encode([true, out]);
    } catch (err) {
      // Python's MaybeEncodingError: the results cannot travel.
      const e = new BaseException(`Error sending result: '${repr(out)}'. Reason: '${(err as any)?.name}(${repr((err as any)?.message)})'`);
      Object.defineProperty(e, "name", { value: "MaybeEncodingError" });
      body = encode([false, flatten(e)]);
    }
  } catch (err) {
    body = encode([false, flatten(err)]);
  }
  const entry = new Uint8Array(8 + body.length);
  entry.set(entryHeader(m.job, m.chunk), 0);
  entry.set(body, 8);
  return entry;
}

// Booted ahead of time: the library and tsx are loaded while no chunk waits (a failure here is
// reported by the first chunk that needs them).
const warm = (async () => {
  await import(new URL("../index.js", import.meta.url).href).catch(() => {});
  // no tsx: TypeScript task modules fail with registerTsxFor's error, which names the fix
  await registerTsx().catch(() => {});
})();

parentPort!.on("message", (m: TaskMessage) => {
  void warm.then(() => run(m)).then((entry) => parentPort!.postMessage(entry, [entry.buffer as ArrayBuffer]));
});
