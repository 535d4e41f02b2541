// The exception classes of CPython's Lib/pickle.py: PickleError, PicklingError, UnpicklingError.
// Kept on globalThis (as pyerrors.ts does) so that the ESM and CommonJS builds share one class.

import { Exception } from "../pyerrors.js";

const kRegistry = Symbol.for("multiprocessing-ts.pickle.errors");
function define<T>(name: string, make: () => T): T {
  const reg: Record<string, T> = ((globalThis as any)[kRegistry] ??= {});
  return (reg[name] ??= make());
}

/** `pickle.PickleError`: the common base class for the other pickling exceptions. */
export const PickleError = define("PickleError", () => class PickleError extends Exception {});
export type PickleError = InstanceType<typeof PickleError>;
/** `pickle.PicklingError`: raised when an unpicklable object is passed to `dumps()`. */
export const PicklingError = define("PicklingError", () => class PicklingError extends PickleError {});
export type PicklingError = InstanceType<typeof PicklingError>;
/**
 * `pickle.UnpicklingError`: raised when there is a problem unpickling an object, such as data
 * corruption, a forbidden global or a security violation.
 */
export const UnpicklingError = define("UnpicklingError", () => class UnpicklingError extends PickleError {});
export type UnpicklingError = InstanceType<typeof UnpicklingError>;
