// Synchronous, EAGAIN-safe writes to fd 1/2. Python's children write straight to the inherited
// file descriptors; a worker's process.stdout goes through the parent's event loop instead, which
// is blocked while the parent sits in join(). So print() and every child's stdout/stderr write
// with fs.writeSync, and retry when a non-blocking pipe is full (see feasibility.md §5).

import { writeSync } from "node:fs";
import { pauseQuietly } from "./semlock.js";

/** Writes all of `data` to `fd`, retrying partial writes and EAGAIN. */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  let buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let off = 0;
  let pause = 1;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
      pause = 1;
    } catch (err: any) {
      if (err?.code !== "EAGAIN") throw err;
      // The reader is slower than we are: sleep a little (this thread only) and retry the rest.
      pauseQuietly(pause);
      pause = Math.min(pause * 2, 20);
    }
  }
}

let patched = false;

/**
 * Replaces process.stdout.write / process.stderr.write with synchronous writes, so console.log in
 * a child reaches the terminal at once, in order with the other processes' lines.
 */
export function patchStdioSync(): void {
  if (patched) return;
  patched = true;
  for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
    (stream as any).write = function write(chunk: any, encoding?: any, cb?: any): boolean {
      if (typeof encoding === "function") cb = encoding;
      const data = typeof chunk === "string" ? chunk : chunk instanceof Uint8Array ? chunk : String(chunk);
      try {
        writeAllSync(fd, data);
      } catch {
        // Output that cannot be written (closed pipe) is dropped, as Python's print to a broken pipe.
      }
      if (typeof cb === "function") cb();
      return true;
    };
  }
}
