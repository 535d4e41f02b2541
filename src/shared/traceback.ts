// Python-style tracebacks from JavaScript errors: what CPython's traceback.print_exc() writes.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BaseException } from "./pyerrors.js";
import { str } from "./format.js";

const kFrame = /^\s*at (?:async )?(?:(.+?) \()?(.+?):(\d+):\d+\)?$/;

/** Formats `err` as `Traceback (most recent call last):`, the frames, then `<Name>: <message>`. */
export function formatException(err: unknown, libraryDir?: string): string {
  const lines = ["Traceback (most recent call last):"];
  const frames: string[] = [];
  const stack = err instanceof Error && typeof err.stack === "string" ? err.stack.split("\n") : [];
  for (const raw of stack) {
    const m = kFrame.exec(raw);
    if (!m) continue;
    let [, fn, file, line] = m;
    if (file!.startsWith("node:") || file!.includes("node:internal")) continue;
    if (libraryDir && (file!.startsWith(libraryDir) || file!.startsWith(fileURLToPath(libraryDir)))) continue;
    if (file!.startsWith("file://")) file = fileURLToPath(file!);
    fn = (fn ?? "<module>").replace(/^async /, "").replace(/^Object\./, "");
    frames.push(`  File "${file}", line ${line}, in ${fn}`);
    // As Python's traceback: the frame's source line, stripped, under it (when the file is there).
    const source = sourceLine(file!, Number(line));
    if (source) frames[frames.length - 1] += `\n    ${source}`;
  }
  lines.push(...frames.reverse());
  lines.push(exceptionLine(err));
  return lines.join("\n") + "\n";
}

const sources = new Map<string, string[] | null>();

/** Line `n` (1-based) of the file at `path`, stripped; "" when it cannot be read. */
function sourceLine(path: string, n: number): string {
  let lines = sources.get(path);
  if (lines === undefined) {
    try {
      lines = readFileSync(path, "utf8").split("\n");
    } catch {
      lines = null;
    }
    if (sources.size > 64) sources.clear();
    sources.set(path, lines);
  }
  return lines?.[n - 1]?.trim() ?? "";
}

/** The last line of a traceback: `ValueError: boom`, or just `EOFError` for an empty message. */
export function exceptionLine(err: unknown): string {
  if (err instanceof BaseException || err instanceof Error) {
    const msg = str(err);
    return msg ? `${err.name}: ${msg}` : err.name;
  }
  return `Exception: ${str(err)}`;
}
