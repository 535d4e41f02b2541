// How a distributed Pool's worker reports a task's exception: flattened with its class, its
// args and the worker's Python-style traceback (as the local Pool's workers do, pool_worker.ts),
// then rebuilt in the caller by pool/results.ts rebuildError().

import { encode } from "../shared/codec.js";
import { formatException } from "../shared/traceback.js";
import { BaseException, RuntimeError } from "../shared/pyerrors.js";
import { entryHeader, type TaskMessage } from "../shared/distributed_protocol.js";
import type { FlatError } from "../shared/pool_protocol.js";

const libraryDir = new URL("../", import.meta.url).href;

const builtins = ["ValueError", "TypeError", "KeyError", "IndexError", "RuntimeError", "AssertionError", "OSError", "EOFError", "AttributeError",
  "NotImplementedError", "OverflowError", "ZeroDivisionError", "StopIteration", "LookupError", "Exception"];

/** A task's exception, flattened for the trip (as the local Pool's workers flatten it). */
export function flatten(err: unknown): FlatError {
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


/** The result entry of a chunk whose task thread ended under it (process.exit(), a fatal error). */
export function flattenThreadExit(m: TaskMessage, why: unknown): Uint8Array {
  const err = why instanceof Error ? why : new RuntimeError(`the worker thread running this task exited unexpectedly (exit code ${String(why)})`);
  const body = encode([false, flatten(err)]);
  const entry = new Uint8Array(8 + body.length);
  entry.set(entryHeader(m.job, m.chunk), 0);
  entry.set(body, 8);
  return entry;
}
