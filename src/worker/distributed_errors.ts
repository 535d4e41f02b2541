// How a distributed Pool's worker reports a task's exception: flattened with its class, its
// args and the worker's Python-style traceback (as the local Pool's workers do, pool_worker.ts),
// then rebuilt in the caller by pool/results.ts rebuildError().

import { encode } from "../shared/codec.js";
import { RuntimeError } from "../shared/pyerrors.js";
import { flatten } from "./task_errors.js";
import { entryHeader, type TaskMessage } from "../shared/distributed_protocol.js";

export { flatten };

/** The result entry of a chunk whose task thread ended under it (process.exit(), a fatal error). */
export function flattenThreadExit(m: TaskMessage, why: unknown): Uint8Array {
  const err = why instanceof Error ? why : new RuntimeError(`the worker thread running this task exited unexpectedly (exit code ${String(why)})`);
  const body = encode([false, flatten(err)]);
  const entry = new Uint8Array(8 + body.length);
  entry.set(entryHeader(m.job, m.chunk), 0);
  entry.set(body, 8);
  return entry;
}
