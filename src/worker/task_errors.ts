// How a pool worker (local, pool_worker.ts, or distributed, distributed_task.ts) reports a task's
// exception: flattened with its class, its args and a Python-style traceback (the worker side of
// CPython Lib/multiprocessing/pool.py's ExceptionWithTraceback), rebuilt in the caller by
// pool/results.ts rebuildError().

import { encode } from "../shared/codec.js";
import { formatException } from "../shared/traceback.js";
import { BaseException } from "../shared/pyerrors.js";
import type { FlatError } from "../shared/pool_protocol.js";

/** The library's own frames, which tracebacks leave out. */
const libraryDir = new URL("../", import.meta.url).href;

const builtins = ["ValueError", "TypeError", "KeyError", "IndexError", "RuntimeError", "AssertionError", "OSError", "EOFError", "AttributeError",
  "NotImplementedError", "OverflowError", "ZeroDivisionError", "StopIteration", "LookupError", "Exception"];

/** A task's exception, flattened for the trip to the caller (values that cannot travel become null). */
export function flatten(err: unknown): FlatError {
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

