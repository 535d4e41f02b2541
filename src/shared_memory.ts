// Port of CPython Lib/multiprocessing/shared_memory.py (PSF-2.0): SharedMemory, ShareableList,
// and (from Lib/multiprocessing/managers.py) SharedMemoryManager.
//
// A segment is a SharedArrayBuffer; its name lives in a registry thread of the OS process
// (shared_memory/registry.ts), which plays the part of /dev/shm: create, attach, unlink by name
// from any process of the tree. ShareableList (shared_memory/shareable_list.ts) keeps CPython's
// byte layout, so the packing and `format` are CPython's.

import { randomBytes } from "node:crypto";
import { isMainThread } from "node:worker_threads";
import { FileExistsError, FileNotFoundError, OSError, TypeError, ValueError } from "./shared/pyerrors.js";
import { kMaxNameBytes } from "./shared_memory/directory.js";
import { PyObject } from "./shared/pyobject.js";
import { register } from "./shared/reduction.js";
import { repr as pyRepr } from "./shared/format.js";
import { closeSegment, listenForBootRequests, lookupSegment, openGeneration, registerSegment, shareDirectory, unlinkSegment } from "./shared_memory/registry.js";
import { pyTypeName } from "./shared/convert.js";
import { as, p, sig, type Bound } from "./shared/binder.js";
import { memoryview } from "./shared_memory/memoryview.js";

// The main thread makes the directory of names at import (~10 µs), so that every worker started
// from now on inherits it. Children ask the main thread to start the registry when they need it
// first. The listener is installed at the first turn of the event loop, off the import path
// (~0.3 ms); a child re-sends its request until it is heard, and the main thread only hears it
// from its event loop anyway.
if (isMainThread) {
  shareDirectory();
  setImmediate(listenForBootRequests).unref();
}

/** `os.strerror` texts of the two errnos that shm_open()/shm_unlink() raise here. */
const ENOENT = [2, "No such file or directory"] as const;
const EEXIST = [17, "File exists"] as const;
const EINVAL = [22, "Invalid argument"] as const;
const ENOSPC = [28, "No space left on device"] as const;
const ENAMETOOLONG = [36, "File name too long"] as const;

function osError(cls: typeof OSError, [errno, text]: readonly [number, string], name: string): Error {
  const e = new cls(errno, text, "/" + name);
  (e as any).filename = "/" + name;
  return e;
}

/** Random bytes for names, drawn 4 at a time from a pool (one randomBytes() call costs ~10-70 µs). */
let pool = Buffer.alloc(0);
let poolAt = 0;

/** CPython's _make_filename(): `psm_` and 8 hex digits (14 characters with POSIX's leading `/`). */
function makeFilename(): string {
  if (poolAt + 4 > pool.length) {
    pool = randomBytes(1024);
    poolAt = 0;
  }
  poolAt += 4;
  return "psm_" + pool.toString("hex", poolAt - 4, poolAt);
}

/** Bytes from which a segment is a growable buffer (see allocate). */
const kLazyBytes = 64 * 1024;

/**
 * A new zero-filled segment, as ftruncate() leaves one. From kLazyBytes on, a buffer growable to
 * its own size: V8 maps its pages lazily (zero pages from the kernel, as shm_open+mmap give
 * CPython), where a plain SharedArrayBuffer of that size is calloc'ed and often memset.
 */
function allocate(size: number): SharedArrayBuffer {
  if (size < kLazyBytes) return new SharedArrayBuffer(size);
  return new (SharedArrayBuffer as any)(size, { maxByteLength: size }) as SharedArrayBuffer;
}

/**
 * An instance collected without close() closes its segment then (as CPython's __del__ does). The
 * held value names the segment without holding it, so the buffer goes with that collection.
 */
const unclosed = new FinalizationRegistry<{ name: string; generation: number }>(({ name, generation }) => closeSegment(name, generation));

/** Options of `new SharedMemory(...)`, with Python's keyword names. */
export interface SharedMemoryOptions {
  name?: string | null;
  create?: boolean;
  size?: number;
}

/** `SharedMemory.__init__(name=None, create=False, size=0)` (shared/binder.ts). */
const SHARED_MEMORY = sig("SharedMemory.__init__", [
  p("name", as<string | null>(), { default: null }),
  p("create", as<boolean>(), { default: false }),
  p("size", as<number | bigint | boolean>(), { default: 0 }),
], { method: true });

/**
 * Creates a new shared memory block or attaches to an existing shared memory block.
 *
 * `new SharedMemory(name?, create?, size?)` or `new SharedMemory({ name, create, size })`; `size`
 * in bytes. A name is visible to every process of the tree, whether it started before or after
 * the block was created.
 *
 * Differs from Python: the block is a SharedArrayBuffer of this OS process, so the name is not
 * visible to unrelated OS processes, and a block still linked when the program ends goes with it
 * (no /dev/shm entry outlives the tree). `.buf` is a Node `Buffer` (of class `memoryview`): `buf[i]`
 * out of range reads `undefined` and a value outside 0-255 wraps, where a memoryview raises;
 * `buf.__getitem__(i)` and `buf.__setitem__(i, v)` raise as memoryview does.
 *
 * @throws ValueError `'size' must be a positive integer` (negative size), `'size' must be a positive number different from zero` (create without a size), `'name' can only be None if create=True`
 * @throws FileExistsError `[Errno 17] File exists: '/<name>'` when creating a name in use
 * @throws FileNotFoundError `[Errno 2] No such file or directory: '/<name>'` when attaching to a name not in use
 * @throws OSError `[Errno 22] Invalid argument` for a name with `/`, `[Errno 36] File name too long` past 255 bytes, `[Errno 12] Cannot allocate memory` for a size that cannot be allocated, `[Errno 28] No space left on device` past 8191 segments
 */
export class SharedMemory extends PyObject {
  #name: string;
  #size: number;
  #buf: memoryview | null;
  #sab: SharedArrayBuffer | null;
  #generation: number;

  constructor(...args: Bound<typeof SHARED_MEMORY>);
  constructor(...args: unknown[]) {
    super();
    const a = SHARED_MEMORY.bind(args);
    let name = a[0] ?? null;
    const create = Boolean(a[1] ?? false);
    let size: unknown = a[2] ?? 0;
    if (typeof size === "bigint") size = Number(size);
    if (typeof size !== "number" && typeof size !== "boolean") {
      throw new TypeError(`'>=' not supported between instances of '${pyTypeName(size)}' and 'int'`);
    }
    size = Number(size);
    if (!((size as number) >= 0)) throw new ValueError("'size' must be a positive integer");
    if (create && size === 0) throw new ValueError("'size' must be a positive number different from zero");
    if (name === null && !create) throw new ValueError("'name' can only be None if create=True");
    if (name !== null && typeof name !== "string") throw new TypeError(`can only concatenate str (not "${pyTypeName(name)}") to str`);
    if (create && !Number.isInteger(size)) throw new TypeError("'float' object cannot be interpreted as an integer");
    // What shm_open() refuses: a '/' inside the name, a name longer than NAME_MAX.
    if (name !== null && (name === "" || name.includes("/"))) throw osError(OSError, EINVAL, name);
    if (name !== null && Buffer.byteLength(name) > kMaxNameBytes) throw osError(OSError, ENAMETOOLONG, name);
    let sab: SharedArrayBuffer;
    if (create) {
      try {
        sab = allocate(size as number);
      } catch {
        throw new OSError(12, "Cannot allocate memory"); // what mmap() raises for a block too big to map
      }
      let r: ReturnType<typeof registerSegment>;
      if (name === null) {
        do r = registerSegment((name = makeFilename()), sab);
        while (r === "exists");
      } else {
        r = registerSegment(name, sab);
        if (r === "exists") throw osError(FileExistsError, EEXIST, name);
      }
      if (r === "full") throw osError(OSError, ENOSPC, name);
    } else {
      const found = lookupSegment(name!);
      if (found === null) throw osError(FileNotFoundError, ENOENT, name!);
      sab = found;
    }
    this.#name = name!;
    this.#sab = sab;
    this.#generation = openGeneration(name!);
    unclosed.register(this, { name: name!, generation: this.#generation }, this);
    this.#size = sab.byteLength; // as fstat(): the segment's real size; an attach's `size` is ignored
    // Explicit length: a view of a growable buffer without one tracks its length (slower access).
    this.#buf = new memoryview(sab, 0, sab.byteLength);
  }

  /**
   * A memoryview of contents of the shared memory block: a `Buffer` over the shared bytes (class
   * `memoryview`, with memoryview's checked `__getitem__`/`__setitem__`); null after close().
   */
  get buf(): memoryview | null {
    return this.#buf;
  }

  /** Unique name that identifies the shared memory block (without POSIX's leading `/`). */
  get name(): string {
    return this.#name;
  }

  /** Size in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Closes access to the shared memory from this instance but does not destroy the shared memory block. Idempotent. */
  close(): void {
    if (this.#sab === null) return;
    unclosed.unregister(this);
    closeSegment(this.#name, this.#generation);
    this.#sab = null;
    this.#buf = null;
  }

  /**
   * Requests that the underlying shared memory block be destroyed. Call it once (and only once)
   * across all processes that use the block; instances still open keep their bytes until they
   * close.
   * @throws FileNotFoundError `[Errno 2] No such file or directory: '/<name>'` when already unlinked
   */
  unlink(): void {
    if (!unlinkSegment(this.#name)) throw osError(FileNotFoundError, ENOENT, this.#name);
  }

  /** `SharedMemory('psm_1a2b3c4d', size=512)`. */
  __repr__(): string {
    return `${this.constructor.name}(${pyRepr(this.#name)}, size=${this.#size})`;
  }

  /** Python's `__reduce__`: a copy re-attaches by name (what pickling a SharedMemory does). */
  __reduce__(): [typeof SharedMemory, [string, boolean, number]] {
    return [this.constructor as typeof SharedMemory, [this.#name, false, this.#size]];
  }
}

// A SharedMemory sent to a child (as a Process argument, a queue item...) re-attaches there by
// name, as unpickling CPython's __reduce__ does.
register("SharedMemory", SharedMemory, {
  reduce: (s: SharedMemory) => ({ name: s.name, size: s.size }),
  rebuild: (s) => new SharedMemory(s.name, false, s.size),
});

export { ShareableList } from "./shared_memory/shareable_list.js";
export { memoryview } from "./shared_memory/memoryview.js";
export { SharedMemoryManager } from "./shared_memory/manager.js";
