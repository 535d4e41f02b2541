// Port of the exception classes of CPython Lib/multiprocessing/context.py, plus the ones the
// package re-exports from queue, threading and multiprocessing.pool / managers.
// Builtin classes (ValueError, OSError...) live in shared/pyerrors.ts and `multiprocessing-ts/py`.

import { Exception, RuntimeError } from "./shared/pyerrors.js";

const kRegistry = Symbol.for("multiprocessing-ts.errors");
function define<T>(name: string, make: () => T): T {
  const reg: Record<string, T> = ((globalThis as any)[kRegistry] ??= {});
  return (reg[name] ??= make());
}

/** Base class of the multiprocessing errors. */
export const ProcessError = define("ProcessError", () => class ProcessError extends Exception {});
export type ProcessError = InstanceType<typeof ProcessError>;

/** Raised by `Connection.recv_bytes_into()` when the buffer is too small; `args[0]` is the whole message. */
export const BufferTooShort = define("BufferTooShort", () => class BufferTooShort extends ProcessError {});
export type BufferTooShort = InstanceType<typeof BufferTooShort>;

/** Raised by `AsyncResult.get()` and `IMapIterator.next()` on timeout (not the builtin TimeoutError). */
export const TimeoutError = define("TimeoutError", () => class TimeoutError extends ProcessError {});
export type TimeoutError = InstanceType<typeof TimeoutError>;

/** Raised when an authentication handshake fails. */
export const AuthenticationError = define("AuthenticationError", () => class AuthenticationError extends ProcessError {});
export type AuthenticationError = InstanceType<typeof AuthenticationError>;

/** `threading.BrokenBarrierError`: a Barrier is broken, reset or aborted, or a wait timed out. */
export const BrokenBarrierError = define("BrokenBarrierError", () => class BrokenBarrierError extends RuntimeError {});
export type BrokenBarrierError = InstanceType<typeof BrokenBarrierError>;

/** `queue.Empty`: `get()` found no item in time. */
export const Empty = define("Empty", () => class Empty extends Exception {});
export type Empty = InstanceType<typeof Empty>;

/** `queue.Full`: `put()` found no free slot in time. */
export const Full = define("Full", () => class Full extends Exception {});
export type Full = InstanceType<typeof Full>;

/** `multiprocessing.managers.RemoteError`: a failure inside a manager's server. */
export const RemoteError = define("RemoteError", () => class RemoteError extends Exception {});
export type RemoteError = InstanceType<typeof RemoteError>;
