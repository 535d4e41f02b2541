// Port of lock_acquire_release.py: acquire() -> true, non-blocking/timed acquire on a held lock
// -> false, release(), context manager, repr owner, mutual exclusion across processes.
import mp from "multiprocessing-ts";
import { print, repr, time, tuple } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function contender(lock: mp.Lock, q: mp.Queue) {
  q.put(tuple("child acquire(timeout=0.1) while parent holds", lock.acquire({ timeout: 0.1 })));
  q.put(tuple("child acquire() after parent released", lock.acquire()));
  q.put(tuple("child repr while holding", repr(lock)));
  lock.release();
}

function main() {
  const lock = mp.Lock();
  show("repr", () => repr(lock));
  show("acquire()", () => lock.acquire());
  show("repr held", () => repr(lock));
  show("acquire(False)", () => lock.acquire(false));
  show("acquire(block=False)", () => lock.acquire({ block: false }));
  let t = time.monotonic();
  show("acquire(True, 0.1)", () => lock.acquire(true, 0.1));
  show("  waited about 0.1s", () => 0.08 <= time.monotonic() - t && time.monotonic() - t < 2);
  show("acquire(timeout=0.05)", () => lock.acquire({ timeout: 0.05 }));
  t = time.monotonic();
  show("acquire(False, 5) ignores timeout", () => lock.acquire(false, 5));
  show("  returned immediately", () => time.monotonic() - t < 1);
  show("release()", () => lock.release());
  show("repr released", () => repr(lock));
  lock.with((entered) => {
    show("__enter__ result", () => entered);
    show("acquire(False) inside with", () => lock.acquire(false));
  });
  show("acquire(False) after with", () => lock.acquire(false));
  lock.release();
  const q = mp.Queue();
  lock.acquire();
  const p = new mp.Process({ target: contender, args: [lock, q], name: "Child" });
  p.start();
  print(q.get());
  lock.release();
  print(q.get());
  print(q.get());
  p.join();
  show("acquire(False) after child released", () => lock.acquire(false));
  lock.release();
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
