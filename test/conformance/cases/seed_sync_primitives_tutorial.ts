// Port of seed_sync_primitives_tutorial.py (seed tutorial (d)): a Lock around a "printer" in 10
// processes, a BoundedSemaphore(2) in 4, and an Event waited on with and without a timeout.
import multiprocessing from "multiprocessing-ts";
import { print, range, time } from "multiprocessing-ts/py";

const DETERMINISTIC = process.env.SEED_DETERMINISTIC === "1";

export function printer(lock: multiprocessing.Lock, num: number) {
  lock.acquire();
  try {
    print("printer used done", num);
  } finally {
    lock.release();
  }
}

export function sem_worker(sem: multiprocessing.BoundedSemaphore, i: number) {
  sem.acquire();
  print(`worker ${i} acquire`);
  time.sleep(0.05);
  print(`worker ${i} release`);
  sem.release();
}

export function wait_for_event(e: multiprocessing.Event) {
  print("wait_for_event: starting");
  e.wait();
  print("wait_for_event: e.is_set()->", e.is_set());
}

export function wait_for_event_timeout(e: multiprocessing.Event, t: number) {
  print("wait_for_event_timeout: starting");
  e.wait(t);
  print("wait_for_event_timeout: e.is_set()->", e.is_set());
}

function run_all(procs: multiprocessing.Process[]) {
  if (DETERMINISTIC) {
    for (const p of procs) {
      p.start();
      p.join();
    }
  } else {
    for (const p of procs) p.start();
    for (const p of procs) p.join();
  }
}

if (multiprocessing.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) multiprocessing.set_start_method(process.env.MP_START_METHOD);
  const lock = multiprocessing.Lock();
  run_all([...range(10)].map((num) => new multiprocessing.Process({ target: printer, args: [lock, num] })));

  const sem = multiprocessing.BoundedSemaphore(2);
  run_all([...range(4)].map((i) => new multiprocessing.Process({ target: sem_worker, args: [sem, i] })));

  const e = multiprocessing.Event();
  const w1 = new multiprocessing.Process({ name: "block", target: wait_for_event, args: [e] });
  const w2 = new multiprocessing.Process({ name: "non-block", target: wait_for_event_timeout, args: [e, 0.1] });
  if (DETERMINISTIC) {
    w2.start();
    w2.join();
    e.set();
    print("main: event is set, is_set() ->", e.is_set());
    w1.start();
    w1.join();
  } else {
    w1.start();
    w2.start();
    time.sleep(0.15);
    e.set();
    print("main: event is set, is_set() ->", e.is_set());
    w1.join();
    w2.join();
  }
  e.clear();
  print("main: after clear(), is_set() ->", e.is_set());
}
