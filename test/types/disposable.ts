// Compile-time checks (run by test/types.test.ts): `using` works on what Python's `with` works on
// (Pool, Manager, locks, Value/Array wrappers, Connection, Listener) and on nothing else (Process,
// Queue: Python has no `with` for them). Each @ts-expect-error must be an error.
import mp from "multiprocessing-ts";

export function f(): void {}

export function scopes(): void {
  {
    using pool = mp.Pool(1);
    using lock = mp.Lock();
    using rlock = mp.RLock();
    using sem = mp.Semaphore(1);
    using cond = mp.Condition();
    using v = mp.Value("i", 0);
    using a = mp.Array("i", 2);
    const [r, w] = mp.Pipe();
    using rr = r;
    using ww = w;
    void [pool, lock, rlock, sem, cond, v, a, rr, ww];
  }
  {
    using m = mp.Manager();
    void m;
  }
  {
    // @ts-expect-error Python's Process is no context manager
    using p = new mp.Process({ target: f });
    // @ts-expect-error Python's Queue is no context manager
    using q = mp.Queue();
    void [p, q];
  }
}
