// Compile-time checks (run by test/types.test.ts): `using` works on what Python's `with` works on
// (Pool, managers, locks, Value/Array wrappers, Connection, Listener) and on nothing else
// (Process, queues, Event, Barrier, SharedMemory: Python has no `with` for them).
// Each @ts-expect-error must be an error.
import mp from "multiprocessing-ts";
import { Listener } from "multiprocessing-ts/connection";
import { SharedMemory, SharedMemoryManager } from "multiprocessing-ts/shared_memory";

export function f(): void {}

export function scopes(): void {
  {
    // Disposal does what __exit__ does: Pool terminates, Manager shuts down, Connection closes.
    using pool = mp.Pool(1);
    using m = mp.Manager();
    using smm = new SharedMemoryManager();
    const [r, w] = mp.Pipe();
    using rr = r;
    using ww = w;
    using listener = new Listener();
    void [pool, m, smm, rr, ww, listener];
  }
  {
    // A lock's disposal releases it (`with lock:` = acquire, then `using` the held lock).
    const lock = mp.Lock();
    lock.acquire();
    using _held = lock;
    const v = mp.Value("i", 0);
    v.acquire();
    using _v = v;
    const a = mp.Array("i", 2);
    a.acquire();
    using _a = a;
    const sem = mp.Semaphore(1);
    sem.acquire();
    using _s = sem;
    const cond = mp.Condition();
    cond.acquire();
    using _c = cond;
  }
  {
    // @ts-expect-error Python's Process is no context manager
    using p = new mp.Process({ target: f });
    // @ts-expect-error Python's Queue is no context manager
    using q = mp.Queue();
    // @ts-expect-error nor is SimpleQueue
    using sq = mp.SimpleQueue();
    // @ts-expect-error nor is Event
    using ev = mp.Event();
    // @ts-expect-error nor is Barrier
    using b = mp.Barrier(1);
    // @ts-expect-error nor is SharedMemory (close() and unlink() it)
    using shm = new SharedMemory({ create: true, size: 1 });
    void [p, q, sq, ev, b, shm];
  }
}
