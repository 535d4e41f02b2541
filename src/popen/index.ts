// Parent side of starting a child: picks the strategy for a start method, as CPython's
// context.py maps each method to its popen_* module.
//   spawn      — a fresh worker thread per process (popen/worker_thread.ts)
//   forkserver — a warm worker, booted ahead of time with the target's modules loaded
//                (popen/forkserver.ts)

import type { ParentToChildSpec } from "../shared/protocol.js";
import { isTypeScriptUrl } from "../shared/protocol.js";
import { ValueError } from "../shared/pyerrors.js";
import { WorkerPopen, type Popen } from "./worker_thread.js";
import { forkserverStart } from "./forkserver.js";

/** The URL of the library's dist/ folder: stack frames inside it are the library's own. */
export const libraryDir = new URL("../", import.meta.url).href;

/** The worker entry every child starts on. */
export const bootstrapUrl = new URL("../worker/bootstrap.js", import.meta.url);

/** The start methods this platform offers, the default first. */
export const startMethods = ["spawn", "forkserver"] as const;

let tsxApi: string | null | undefined;
/** The URL of tsx's ESM API when any of `modules` is TypeScript (null if none is, or tsx is missing). */
export function tsxApiFor(modules: Iterable<string>): string | null {
  for (const m of modules) {
    if (isTypeScriptUrl(m)) {
      if (tsxApi === undefined) {
        try {
          tsxApi = import.meta.resolve("tsx/esm/api");
        } catch {
          tsxApi = null;
        }
      }
      return tsxApi;
    }
  }
  return null;
}

/** Starts a child with the given start method. */
export function startChild(method: string, spec: ParentToChildSpec): Popen {
  switch (method) {
    case "spawn":
      return new WorkerPopen(bootstrapUrl, spec);
    case "forkserver":
      return forkserverStart(bootstrapUrl, spec);
    default:
      throw new ValueError(`cannot find context for '${method}'`);
  }
}
