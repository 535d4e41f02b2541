// Port of seed_shared_memory_tutorial.py (seed tutorials (b) and (c)): a child negates a shared
// Array; two processes increment a shared Value without a lock (SEED_DETERMINISTIC=1: with it).
import multiprocessing from "multiprocessing-ts";
import { print, range, len, time } from "multiprocessing-ts/py";

const DETERMINISTIC = process.env.SEED_DETERMINISTIC === "1";

export function negate(arr: multiprocessing.sharedctypes.SynchronizedArray<number>) {
  for (const i of range(len(arr))) arr[i] = -arr[i];
}

function add_loop(number: multiprocessing.sharedctypes.Synchronized<number>, value: number) {
  print(`Init add${value} number=${number.value}`);
  for (let i = 0; i < 4; i++) {
    number.value += value;
    time.sleep(0.05);
    print(`add${value} num = ${number.value}`);
  }
}

export function add(number: multiprocessing.sharedctypes.Synchronized<number>, value: number, entered: multiprocessing.Event | null = null) {
  if (entered === null) {
    add_loop(number, value); // the original: no lock at all
  } else {
    number.get_lock().with(() => { // lock-protected version used for .expected
      entered.set();
      add_loop(number, value);
    });
  }
}

function part_b() {
  const arr = multiprocessing.Array("i", range(10));
  const p = new multiprocessing.Process({ target: negate, args: [arr] });
  if (DETERMINISTIC) {
    arr.get_lock().with(() => {
      p.start();
      print(arr.slice());
    });
  } else {
    p.start();
    print(arr.slice());
  }
  p.join();
  print(arr.slice());
}

function part_c() {
  const number = multiprocessing.Value("i", 0);
  const e1 = DETERMINISTIC ? multiprocessing.Event() : null;
  const e3 = DETERMINISTIC ? multiprocessing.Event() : null;
  const p1 = new multiprocessing.Process({ target: add, args: [number, 1, e1] });
  const p3 = new multiprocessing.Process({ target: add, args: [number, 3, e3] });
  p1.start();
  if (DETERMINISTIC) e1!.wait();
  p3.start();
  p1.join();
  p3.join();
}

if (multiprocessing.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) multiprocessing.set_start_method(process.env.MP_START_METHOD);
  part_b();
  part_c();
}
