// Python's object protocol for the library's classes: __repr__ is the one source of the text
// that String(x), util.inspect(x), print(x) and repr(x) show; __enter__/__exit__ map to
// .with(fn) and `using` for the objects Python uses in `with` statements.

/** A class whose instances print as Python's repr. */
export abstract class PyObject {
  /** Python's `repr(self)`. */
  abstract __repr__(): string;
  /** Python's `str(self)`: the repr. */
  toString(): string {
    return this.__repr__();
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.__repr__();
  }
}

/** A Python context manager over acquire()/release(): locks, semaphores, synchronized values. */
export abstract class Acquirable extends PyObject implements Disposable {
  /** Acquire; returns whether it was acquired. */
  abstract acquire(...args: any[]): boolean;
  /** Release. */
  abstract release(): void;

  /**
   * `with x:` — acquires, runs `fn` with what `__enter__` returns, releases; when `fn` returns a
   * promise, releases once it settles. Returns `fn`'s value.
   */
  with<T>(fn: (entered: boolean) => T): T {
    const entered = this.acquire();
    let r: T;
    try {
      r = fn(entered);
    } catch (e) {
      this.release();
      throw e;
    }
    if (r !== null && typeof r === "object" && typeof (r as any).then === "function") {
      return (r as any).then(
        (v: unknown) => (this.release(), v),
        (e: unknown) => {
          this.release();
          throw e;
        },
      );
    }
    this.release();
    return r;
  }
  /** Python's `__enter__`: acquires, returns true. */
  __enter__(): boolean {
    return this.acquire();
  }
  /** Python's `__exit__`: releases. */
  __exit__(): void {
    this.release();
  }
  /** Releases at the end of a `using` scope: `x.acquire(); using _held = x;`. */
  [Symbol.dispose](): void {
    this.release();
  }
}
