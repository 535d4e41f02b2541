// Where the library's own files are, without `import.meta` (which the CommonJS build cannot
// use): the URL of the calling module, read from a structured call site.

import { existsSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** The URL of the module that calls this function. */
export function callerUrl(): string {
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, sites) => sites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, callerUrl);
    const file = holder.stack?.[0]?.getFileName() ?? "";
    return file.startsWith("file:") ? file : pathToFileURL(file).href;
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

/**
 * The ESM build's folder (dist/): children always start on the ESM bootstrap and load the ESM
 * library, whichever build the parent uses.
 */
export function esmDistUrl(selfUrl: string, depth: number): string {
  let u = new URL("./" + "../".repeat(depth), selfUrl).href;
  if (u.endsWith("/cjs/")) u = new URL("../", u).href;
  return u;
}

/** The program's entry module as a URL (argv[1], realpath'd, with Node's extension probing; the same in every thread), or null. */
export function entryModuleUrl(): string | null {
  const argv1 = process.argv[1];
  if (!argv1) return null;
  for (const ext of ["", ".ts", ".mts", ".js", ".mjs", ".cjs", ".cts", ".tsx"]) {
    try {
      if (existsSync(argv1 + ext)) return pathToFileURL(realpathSync(argv1 + ext)).href;
    } catch {
      return null;
    }
  }
  return null;
}
