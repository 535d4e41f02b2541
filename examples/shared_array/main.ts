// Seed "Shared Memory": a child negates a shared Array; the parent prints it before and after.
import multiprocessing from "multiprocessing-ts";
import { print, range, len } from "multiprocessing-ts/py";

export function change(arr: multiprocessing.sharedctypes.SynchronizedArray<number>) {
  for (const i of range(len(arr))) {
    arr[i] = -arr[i];
  }
}

if (multiprocessing.is_main(import.meta)) {
  print("main Start");
  const arr = multiprocessing.Array("i", range(10));
  print(arr.slice());
  const p3 = new multiprocessing.Process({ target: change, args: [arr] });
  p3.start();
  p3.join();
  print(arr.slice());
}
