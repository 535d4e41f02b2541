// Part of the shared_memory module (CPython Lib/multiprocessing/shared_memory.py, PSF-2.0): the
// class of SharedMemory.buf. CPython hands out a `memoryview` (format 'B') over the mapping; here
// it is a Node Buffer over the segment's SharedArrayBuffer, named `memoryview`, whose
// `__getitem__`/`__setitem__` check indexes and values as memoryview's do (Objects/memoryobject.c),
// while plain `buf[i]` stays a typed-array access at full speed.

import { IndexError, TypeError, ValueError } from "../shared/pyerrors.js";

const kOutOfBounds = "index out of bounds on dimension 1";

/** Uint8Array's constructor, typed as making Buffers: the prototype set below makes them so. */
type BufferConstructorOver = new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => Buffer;

/** CPython's index of `key` into a view of `length` bytes (negative from the end). */
function indexOf(key: unknown, length: number): number {
  if (typeof key === "boolean") key = Number(key);
  if (typeof key === "bigint") key = Number(key);
  if (typeof key !== "number" || !Number.isInteger(key)) throw new TypeError("memoryview: invalid slice key");
  const i = key < 0 ? key + length : key;
  if (i < 0 || i >= length) throw new IndexError(kOutOfBounds);
  return i;
}

/**
 * The shared bytes of a SharedMemory block: a `Buffer` (every Buffer and Uint8Array method, and
 * `buf[i]` reads and writes as a typed array does), with memoryview's checked item access as
 * `__getitem__(i)` / `__setitem__(i, v)`, and its `format`, `itemsize`, `nbytes`, `readonly`,
 * `tobytes()`, `tolist()`.
 *
 * Differs from Python: `buf[i]` out of range reads `undefined` and a value outside 0-255 wraps
 * (a typed array's rules); spell it `buf.__getitem__(i)` / `buf.__setitem__(i, v)` for
 * memoryview's IndexError and ValueError. Slicing is `buf.subarray(a, b)` (a view, as a
 * memoryview slice is).
 */
export class memoryview extends (Uint8Array as unknown as BufferConstructorOver) {
  /** Item format, as in the struct module: unsigned bytes. */
  get format(): "B" {
    return "B";
  }

  /** Size in bytes of one item. */
  get itemsize(): 1 {
    return 1;
  }

  /** Size in bytes of the view. */
  get nbytes(): number {
    return this.byteLength;
  }

  /** False: the shared bytes are writable. */
  get readonly(): false {
    return false;
  }

  /**
   * `buf[i]` with memoryview's checks.
   * @throws IndexError `index out of bounds on dimension 1`
   * @throws TypeError `memoryview: invalid slice key` for a key that is not an integer
   */
  __getitem__(key: number): number {
    return this[indexOf(key, this.length)]!;
  }

  /**
   * `buf[i] = v` with memoryview's checks: the index first, then the value.
   * @throws IndexError `index out of bounds on dimension 1`
   * @throws ValueError `memoryview: invalid value for format 'B'` for a value outside 0-255
   * @throws TypeError `memoryview: invalid type for format 'B'` for a value that is not an integer
   */
  __setitem__(key: number, value: number | bigint | boolean): void {
    const i = indexOf(key, this.length);
    if (typeof value === "boolean") value = Number(value);
    if (typeof value === "bigint") value = Number(value);
    if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError("memoryview: invalid type for format 'B'");
    if (value < 0 || value > 255) throw new ValueError("memoryview: invalid value for format 'B'");
    this[i] = value;
  }

  /** A copy of the bytes, as a plain Buffer (Python's `bytes`). */
  tobytes(): Buffer {
    return Buffer.from(this);
  }

  /** The bytes as a list of numbers. */
  tolist(): number[] {
    return Array.from(this);
  }
}

// A Buffer, not only a Uint8Array: Buffer.isBuffer() and instanceof Buffer hold, and every Buffer
// method (copy, toString, readUInt32LE...) works on it.
Object.setPrototypeOf(memoryview.prototype, Buffer.prototype);
