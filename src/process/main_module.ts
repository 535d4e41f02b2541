// Part of the process module (CPython Lib/multiprocessing/process.py has no twin: Python's
// `if __name__ == "__main__":` needs no function): is_main() and the entry module's URL.

import { realpathSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { current } from "../shared/current.js";
import { entryModuleUrl } from "../shared/location.js";

/** The entry module's URL (argv[1], realpath'd, with Node's extension probing) on the main thread, else null. */
export function entryUrl(): string | null {
  return isMainThread ? entryModuleUrl() : null;
}

/**
 * `if __name__ == "__main__":` — true only in the program's entry module, on the main thread,
 * never in a child. Pass `import.meta` (ESM) or `module` (CommonJS).
 */
export function is_main(meta: ImportMeta | { id?: string; filename?: string; require?: unknown }): boolean {
  if (!isMainThread || current().isChild) return false;
  const m = meta as any;
  if (typeof m.main === "boolean") return m.main;
  if (typeof m.url === "string") {
    const entry = entryUrl();
    if (entry === null) return false;
    let url = m.url.replace(/[?#].*$/, "");
    try {
      url = pathToFileURL(realpathSync(fileURLToPath(url))).href;
    } catch {
      // keep url as is
    }
    return url === entry;
  }
  // CommonJS module object: require.main === module.
  return (globalThis as any).require?.main === meta || (typeof m.filename === "string" && process.argv[1] !== undefined &&
    (() => { try { return realpathSync(m.filename) === realpathSync(process.argv[1]!); } catch { return false; } })());
}
