// Seed "Multi-process Lock component", without a lock: number + 1 and number + 3 interleave.
// Each process gets its own copy of the plain number `number`.
import multiprocessing from "multiprocessing-ts";
import { print, range, time } from "multiprocessing-ts/py";

export function add(number: number, value: number, lock: multiprocessing.Lock) {
  print(`Init add${value} number=${number}`);
  for (const i of range(1, 5)) {
    number += value;
    time.sleep(1);
    print(`add${value} num = ${number}`);
  }
}

if (multiprocessing.is_main(import.meta)) {
  const number = 0;
  const lock = multiprocessing.Lock();
  const p1 = new multiprocessing.Process({ target: add, args: [number, 1, lock] });
  const p2 = new multiprocessing.Process({ target: add, args: [number, 3, lock] });
  p1.start();
  p2.start();
  print("Main End");
}
