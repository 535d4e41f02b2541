// Port of seed_lock_tutorial.py (seed tutorial (a)): two processes add 1 and 3 to a plain number
// inside `with lock:`. Each child gets its own copy of `number`; the lock keeps the two blocks
// from interleaving. SEED_DETERMINISTIC=1 starts the second child once the first holds the lock.
import multiprocessing from "multiprocessing-ts";
import { print, time } from "multiprocessing-ts/py";

const DETERMINISTIC = process.env.SEED_DETERMINISTIC === "1";

export function add(number: number, value: number, lock: multiprocessing.Lock, entered: multiprocessing.Event | null = null) {
  lock.with(() => {
    if (entered !== null) entered.set();
    print(`Init add${value} number=${number}`);
    for (let i = 0; i < 4; i++) {
      number += value;
      time.sleep(0.05);
      print(`add${value} num = ${number}`);
    }
  });
}

if (multiprocessing.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) multiprocessing.set_start_method(process.env.MP_START_METHOD);
  const lock = multiprocessing.Lock();
  const number = 0;
  const entered = DETERMINISTIC ? multiprocessing.Event() : null;
  const p1 = new multiprocessing.Process({ target: add, args: [number, 1, lock, entered] });
  const p3 = new multiprocessing.Process({ target: add, args: [number, 3, lock] });
  p1.start();
  if (DETERMINISTIC) entered!.wait();
  p3.start();
  p1.join();
  p3.join();
}
