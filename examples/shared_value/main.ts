// Seed "Shared Memory": two processes add to a shared Value without a lock; each sees the
// other's additions, and the printed numbers depend on how they interleave.
import multiprocessing from "multiprocessing-ts";
import { print, range, time } from "multiprocessing-ts/py";

export function add(number: multiprocessing.sharedctypes.Synchronized<number>, add_value: number) {
  try {
    print(`Init add${add_value} number=${number.value}`);
    for (const i of range(1, 5)) {
      const old_number_value = number.value;
      number.value += add_value;
      print(`add${add_value} num ${number.value} = ${add_value} + ${old_number_value}`);
      print(`######add${add_value} has added #####`);
      time.sleep(1);
      print(`add${add_value} num = ${number.value}`);
    }
  } catch (e) {
    throw e;
  }
}

if (multiprocessing.is_main(import.meta)) {
  print("main start");
  const number = multiprocessing.Value("i", 0);
  print(number);
  const p1 = new multiprocessing.Process({ target: add, args: [number, 1] });
  const p2 = new multiprocessing.Process({ target: add, args: [number, 3] });
  p1.start();
  p2.start();
  print("main end");
}
