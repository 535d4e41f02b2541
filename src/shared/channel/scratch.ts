// Part of shared/channel.ts (no CPython counterpart): a reader's private copy of a frame. A
// reader of a WHOLE frame copies it out before it claims it, and decodes the copy only once the
// claim succeeded: decoded in place, a frame that another reader claimed meanwhile may already
// be overwritten by a writer (a bogus "unknown item tag").

/** A reader's copy of a frame (see read()): this thread's, reused by its next read. */
let scratch = Buffer.allocUnsafe(4096);

/**
 * Copies `len` bytes at `start` of `from` into this thread's scratch buffer and returns it (valid
 * until the next call). A decoder copies what it keeps, so nothing outlives the next read.
 */
export function copyOut(from: Buffer, start: number, len: number): Buffer {
  if (len > scratch.length) scratch = Buffer.allocUnsafe(Math.max(len, 2 * scratch.length));
  const to = scratch;
  if (len <= 16) for (let i = 0; i < len; i++) to[i] = from[start + i]!;
  else from.copy(to, 0, start, start + len);
  return to;
}
