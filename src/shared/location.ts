// Where the library's own files are, without `import.meta` (which the CommonJS build cannot
// use): the URL of the calling module, read from a structured call site.

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
