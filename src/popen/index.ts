// Parent side of starting a child: picks the strategy for a start method, as CPython's
// context.py maps each method to its popen_* module.
//   spawn      — a fresh worker thread per process, booted ahead of time (popen/spawn.ts)
//   forkserver — a warm worker, booted ahead of time with the target's modules loaded
//                (popen/forkserver.ts)

import type { ParentToChildSpec } from "../shared/protocol.js";
import { isTypeScriptUrl } from "../shared/protocol.js";
import { ValueError } from "../shared/pyerrors.js";
import { callerUrl, esmDistUrl } from "../shared/location.js";
import type { Popen } from "./worker_thread.js";
import { prepareSpawn, spawnStart } from "./spawn.js";
import { forkserverStart, prepareForkserver } from "./forkserver.js";

const selfUrl = callerUrl();

/** The URL of the library's dist/ folder: stack frames inside it are the library's own. */
export const libraryDir = new URL("../", selfUrl).href;

/** The ESM dist/ folder, where children start (the bootstrap is ESM in both builds). */
export const esmDir = esmDistUrl(selfUrl, 1);

/** The worker entry every child starts on. */
export const bootstrapUrl = new URL("worker/bootstrap.js", esmDir);

/** The start methods this platform offers, the default first. */
export const startMethods = ["spawn", "forkserver"] as const;

/** True when any of `modules` is TypeScript: the child must register tsx before importing them. */
export function needsTsx(modules: Iterable<string>): boolean {
  for (const m of modules) if (isTypeScriptUrl(m)) return true;
  return false;
}

/** The library entry a child loads: the ESM build's, whichever build the parent uses. */
export const libraryEntry = new URL("index.js", esmDir).href;

/** Called as start() begins, before the spec is made: lets the start method get a worker going. */
export function prepareChild(method: string, tsxLikely: boolean): void {
  if (method === "spawn") prepareSpawn(bootstrapUrl, libraryEntry, tsxLikely);
  else if (method === "forkserver") prepareForkserver(bootstrapUrl, libraryEntry, tsxLikely);
}

/** Starts a child with the given start method. */
export function startChild(method: string, spec: ParentToChildSpec): Popen {
  switch (method) {
    case "spawn":
      return spawnStart(bootstrapUrl, spec);
    case "forkserver":
      return forkserverStart(bootstrapUrl, spec);
    default:
      throw new ValueError(`cannot find context for '${method}'`);
  }
}
