// Finds the module that defines a function or class, so a child can import it by URL and look it
// up by export name (pickle's "module + qualname" for Python's spawn).
// First choice: V8's own record of where the function was defined ([[FunctionLocation]] through
// the inspector protocol, answered synchronously on this thread). Fallback: the caller's module,
// from structured call sites (never the `stack` string, which source maps rewrite).
// See feasibility.md §2.

import type { Session } from "node:inspector";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { setLocator } from "../shared/reduction.js";

const cache = new WeakMap<Function, string | null>();
const scripts = new Map<string, string>();
let session: Session | null = null;
let sessionFailed = false;
const kSlot = Symbol.for("multiprocessing-ts.locate.slot");

function normalize(url: string): string | null {
  if (!url) return null;
  if (url.startsWith("file://")) return url.replace(/[?#].*$/, "");
  if (url.startsWith("/")) return pathToFileURL(url).href;
  return null; // node:internal, eval code, REPL
}

function post<T>(method: string, params?: object): T {
  let result: any;
  let error: any;
  session!.post(method, params ?? {}, (err: any, res: any) => {
    error = err;
    result = res;
  });
  if (error) throw error;
  return result as T;
}

/** Connects this thread's inspector session, the first time it is needed; false if it cannot. */
function openSession(): boolean {
  if (sessionFailed) return false;
  if (session !== null) return true;
  try {
    // node:inspector is loaded on first use: a child given its functions by name never needs it.
    const { Session: SessionClass } = createRequire(pathToFileURL(process.cwd() + "/").href)("node:inspector") as typeof import("node:inspector");
    session = new SessionClass();
    session.connect();
    session.on("Debugger.scriptParsed", (m: any) => scripts.set(m.params.scriptId, m.params.url));
    return true;
  } catch {
    sessionFailed = true;
    session = null;
    return false;
  }
}

/** The module URL that defines `fn`, or null when it cannot be told (native, eval code). */
export function definingModule(fn: Function): string | null {
  if (cache.has(fn)) return cache.get(fn)!;
  let url: string | null = null;
  if (openSession()) {
    try {
      (globalThis as any)[kSlot] = fn;
      const ev = post<any>("Runtime.evaluate", { expression: `globalThis[Symbol.for("multiprocessing-ts.locate.slot")]` });
      const props = post<any>("Runtime.getProperties", { objectId: ev.result.objectId, ownProperties: true });
      post("Runtime.releaseObject", { objectId: ev.result.objectId });
      const loc = props.internalProperties?.find((p: any) => p.name === "[[FunctionLocation]]")?.value?.value;
      if (loc) {
        if (!scripts.has(loc.scriptId)) {
          // Enabling the debugger replays scriptParsed for every script loaded so far; it is
          // switched off again at once so nothing else pays for it.
          post("Debugger.enable");
          post("Debugger.disable");
        }
        url = normalize(scripts.get(loc.scriptId) ?? "");
      }
    } catch {
      sessionFailed = true;
    } finally {
      delete (globalThis as any)[kSlot];
    }
  }
  cache.set(fn, url);
  return url;
}

/**
 * The URL of the first module on the stack outside this library: the module that called
 * `new Process(...)` or `Pool(...)`.
 */
export function callerModule(libraryDir: string): string | null {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 50;
    Error.prepareStackTrace = (_e, sites) => sites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder);
    for (const site of holder.stack ?? []) {
      const file = site.getFileName();
      if (!file) continue;
      const url = normalize(file);
      if (url && !url.startsWith(libraryDir)) return url;
    }
    return null;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/**
 * The value of the module-level binding `name` in the module that defines `fn` (read from V8's
 * [[Scopes]] of `fn`), or undefined: how a thread that never imported a module through the
 * library finds a class of it that comes back by reference.
 */
export function moduleBinding(fn: Function, name: string): unknown {
  // A child that was given its functions by name has not needed the session before.
  if (!openSession()) return undefined;
  try {
    (globalThis as any)[kSlot] = fn;
    const ev = post<any>("Runtime.evaluate", { expression: `globalThis[Symbol.for("multiprocessing-ts.locate.slot")]`, objectGroup: "mp-scopes" });
    const props = post<any>("Runtime.getProperties", { objectId: ev.result.objectId, ownProperties: true });
    const scopes = props.internalProperties?.find((p: any) => p.name === "[[Scopes]]")?.value?.objectId;
    if (!scopes) return undefined;
    const list = post<any>("Runtime.getProperties", { objectId: scopes, ownProperties: true });
    for (const s of list.result ?? []) {
      const scopeId = s.value?.objectId;
      if (!scopeId || !/^Module|^Closure/.test(String(s.value?.description ?? ""))) continue;
      const vars = post<any>("Runtime.getProperties", { objectId: scopeId, ownProperties: true });
      const hit = (vars.result ?? []).find((v: any) => v.name === name);
      if (!hit?.value) continue;
      if (!hit.value.objectId) return hit.value.value;
      post("Runtime.callFunctionOn", {
        objectId: hit.value.objectId,
        functionDeclaration: `function () { globalThis[Symbol.for("multiprocessing-ts.locate.slot")] = this; }`,
      });
      return (globalThis as any)[kSlot];
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    delete (globalThis as any)[kSlot];
    try {
      post("Runtime.releaseObjectGroup", { objectGroup: "mp-scopes" });
    } catch {
      // nothing to release
    }
  }
}

setLocator(definingModule, moduleBinding);
