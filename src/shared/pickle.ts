// Port of CPython's Lib/pickle.py (dumps/loads of protocols 2-5, as Modules/_pickle.c writes
// and reads them) for JavaScript values, so that Node and CPython processes exchange objects.
// The value mapping (Python -> JavaScript):
//   None -> null (undefined writes None), bool -> boolean, int -> number (bigint beyond 2^53),
//   float -> number (an integral float reads as a PyFloat, `py.float(x)`), str -> string,
//   bytes/bytearray -> Buffer (any ArrayBufferView writes bytes), list -> Array,
//   tuple -> py.tuple(...) (a marked Array), dict -> plain object for str keys / Map otherwise,
//   set/frozenset -> Set, builtin exceptions -> the classes of pyerrors.ts.
// Unpickling is allowlist-only (pickle/globals.ts): a global not on the list is refused.
// The writer is pickle/writer.ts, the reader pickle/reader.ts.

import { PicklingError } from "./pickle/errors.js";
import { TypeError } from "./pyerrors.js";
import { load, type PickleLoadOptions } from "./pickle/reader.js";
import { Writer } from "./pickle/writer.js";

export { PickleError, PicklingError, UnpicklingError } from "./pickle/errors.js";
export { float, PyFloat } from "./pickle/float.js";
export { registerGlobal, type GlobalHandlers } from "./pickle/globals.js";
export type { PickleLoadOptions } from "./pickle/reader.js";

/** The protocol dumps() uses unless told otherwise (CPython 3.8-3.13's DEFAULT_PROTOCOL). */
export const DEFAULT_PROTOCOL = 4;
/** The highest protocol this module writes and reads. */
export const HIGHEST_PROTOCOL = 5;

/** Options of dumps(). */
export interface PickleDumpOptions {
  /** 2, 3, 4 (default) or 5; -1 means HIGHEST_PROTOCOL. */
  protocol?: 2 | 3 | 4 | 5 | -1;
}

/**
 * Return the pickled representation of the object as a bytes object (a Buffer), byte for byte
 * what CPython 3.11's `pickle.dumps(obj, protocol)` writes for the same Python value.
 * @throws PicklingError for a value with no pickle meaning (a function, a symbol, an instance of a
 *   class without a registered reducer, a list as a dict key), naming its path (`value[0].handler`).
 * @throws ValueError for an unsupported protocol.
 *
 * Differs from Python: protocols 0 and 1 are not written (they are read).
 */
export function dumps(value: unknown, options: PickleDumpOptions = {}): Buffer {
  let protocol: number = options.protocol ?? DEFAULT_PROTOCOL;
  if (protocol === -1) protocol = HIGHEST_PROTOCOL;
  if (protocol !== 2 && protocol !== 3 && protocol !== 4 && protocol !== 5) {
    throw new PicklingError(`pickle protocol must be 2, 3, 4 or 5 here (got ${String(protocol)})`);
  }
  return new Writer(protocol).dump(value);
}

/**
 * Return the reconstituted object hierarchy of the pickled representation `data` of an object.
 * Reads protocols 0-5; the protocol is detected automatically. Bytes past the STOP opcode are
 * ignored, as in Python.
 * @throws UnpicklingError for malformed or truncated data, a forbidden global ("global
 *   'os.system' is forbidden"), persistent ids, out-of-band buffers and any limit exceeded.
 * @throws EOFError "Ran out of input" when the data ends where an opcode should be.
 * @throws ValueError "unsupported pickle protocol: 6".
 * @throws TypeError when `data` is not bytes.
 *
 * Differs from Python: only allowlisted globals load (see registerGlobal); nothing is imported.
 */
export function loads(data: Uint8Array, options?: PickleLoadOptions): unknown {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`a bytes-like object is required, not '${data === null ? "NoneType" : typeof data}'`);
  }
  return load(data, options);
}
