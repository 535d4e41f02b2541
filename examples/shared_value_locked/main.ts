// The shared Value program again, with each read-modify-write under number.get_lock():
// additions are never lost, whatever the interleaving.
import multiprocessing from "multiprocessing-ts";
import { print, range, time } from "multiprocessing-ts/py";

export function add(number: multiprocessing.sharedctypes.Synchronized<number>, add_value: number) {
  print(`Init add${add_value} number=${number.value}`);
  for (const i of range(1, 5)) {
    number.get_lock().with(() => {
      const old_number_value = number.value;
      number.value += add_value;
      print(`add${add_value} num ${number.value} = ${add_value} + ${old_number_value}`);
    });
    time.sleep(1);
    print(`add${add_value} num = ${number.value}`);
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
  p1.join();
  p2.join();
  print("main end, number =", number.value);
}
