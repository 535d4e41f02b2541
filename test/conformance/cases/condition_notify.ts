// Port of condition_notify.py: notify() wakes exactly one waiter, notify(n) wakes n,
// notify_all() wakes all; notifications with no waiters are lost. Waiters are processes.
import mp from "multiprocessing-ts";
import { print, range, time, tuple, repr } from "multiprocessing-ts/py";

export function f(cond: mp.Condition, sleeping: mp.Semaphore, woken: mp.Semaphore, q: mp.Queue, tag: string) {
  cond.with(() => {
    sleeping.release();
    const r = cond.wait();
    q.put(tuple(tag, r));
    woken.release();
  });
}

function start_sleepers(n: number, cond: mp.Condition, sleeping: mp.Semaphore, woken: mp.Semaphore, q: mp.Queue, prefix: string) {
  const procs = [...range(n)].map((i) => new mp.Process({ target: f, args: [cond, sleeping, woken, q, `${prefix}${i}`] }));
  for (const p of procs) p.start();
  // every child holds cond while releasing `sleeping`, so once we can take cond below, all of
  // them are inside wait()
  for (const _ of range(n)) sleeping.acquire();
  return procs;
}

/** Collect `expected` wake-ups, then check no extra wake-up arrives within 0.2s. */
function woken_now(woken: mp.Semaphore, expected: number) {
  let got = 0;
  for (const _ of range(expected)) got += woken.acquire({ timeout: 10 }) ? 1 : 0;
  time.sleep(0.2);
  const extra = woken.get_value();
  return tuple(got, extra);
}

function main() {
  const cond = mp.Condition();
  const [sleeping, woken, q] = [mp.Semaphore(0), mp.Semaphore(0), mp.Queue()];

  let procs = start_sleepers(2, cond, sleeping, woken, q, "a");
  cond.with(() => print("notify() with 2 waiters returns:", cond.notify()));
  print("woken (got, extra):", woken_now(woken, 1));
  cond.with(() => cond.notify());
  print("woken (got, extra):", woken_now(woken, 1));
  print("wait() results:", [q.get()[1], q.get()[1]].sort());
  for (const p of procs) p.join();

  procs = start_sleepers(3, cond, sleeping, woken, q, "b");
  cond.with(() => print("notify(n=2) with 3 waiters returns:", cond.notify(2)));
  print("woken (got, extra):", woken_now(woken, 2));
  cond.with(() => cond.notify(4));
  print("woken (got, extra):", woken_now(woken, 1));
  cond.with(() => cond.notify(3)); // nobody left: no effect
  print("after notify(n=3) with no waiters, woken value:", woken.get_value());
  for (const _ of range(3)) q.get();
  for (const p of procs) p.join();

  procs = start_sleepers(3, cond, sleeping, woken, q, "c");
  cond.with(() => print("notify_all() returns:", cond.notify_all()));
  print("woken (got, extra):", woken_now(woken, 3));
  print("tags woken:", [...range(3)].map(() => q.get()[0]).sort());
  for (const p of procs) p.join();
  print("exitcodes:", procs.map((p) => p.exitcode));
  void repr;
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
