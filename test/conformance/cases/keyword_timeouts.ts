// Port of python/keyword_timeouts.py: every blocking call's timeout= keyword from Python docs'
// multiprocessing reference, spelled as API.md says (one trailing options object), bound by the
// signature binder (src/shared/binder.ts), whose declarations also type these calls.
import mp from "multiprocessing-ts";
import { Empty, TimeoutError, BrokenBarrierError } from "multiprocessing-ts";
import { print, time } from "multiprocessing-ts/py";

export function sleeper(s: number) {
  time.sleep(s);
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const p = new mp.Process({ target: sleeper, args: [2] });
  p.start();
  const t0 = time.monotonic();
  p.join({ timeout: 0.2 });
  print("Process.join(timeout=0.2): alive", p.is_alive(), "returned early", time.monotonic() - t0 < 1.5);
  const q = mp.Queue();
  try {
    q.get({ timeout: 0.2 });
  } catch (e) {
    if (!(e instanceof Empty)) throw e;
    print("Queue.get(timeout=0.2): Empty");
  }
  const e = mp.Event();
  print("Event.wait(timeout=0.2):", e.wait({ timeout: 0.2 }));
  const lock = mp.Lock();
  lock.acquire();
  print("Lock.acquire(timeout=0.2):", lock.acquire({ timeout: 0.2 }));
  lock.release();
  const cond = mp.Condition();
  cond.with(() => {
    print("Condition.wait(timeout=0.2):", cond.wait({ timeout: 0.2 }));
  });
  const [a, b] = mp.Pipe();
  void b;
  print("Connection.poll(timeout=0.2):", a.poll({ timeout: 0.2 }));
  print("connection.wait([a], timeout=0.2):", mp.connection.wait([a], { timeout: 0.2 }));
  const sem = mp.Semaphore(0);
  print("Semaphore.acquire(timeout=0.2):", sem.acquire({ timeout: 0.2 }));
  const barrier = mp.Barrier(2);
  try {
    barrier.wait({ timeout: 0.2 });
  } catch (e) {
    if (!(e instanceof BrokenBarrierError)) throw e;
    print("Barrier.wait(timeout=0.2): BrokenBarrierError");
  }
  mp.Pool(1).with((pool) => {
    const r = pool.apply_async(sleeper, [2]);
    try {
      r.get({ timeout: 0.2 });
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      print("AsyncResult.get(timeout=0.2): TimeoutError");
    }
    r.wait({ timeout: 0.2 });
    print("AsyncResult.wait(timeout=0.2): ready", r.ready());
  });
  p.join();
  print("exitcode", p.exitcode);
}
