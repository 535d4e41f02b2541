import multiprocessing from "multiprocessing-ts";
import { print, time } from "multiprocessing-ts/py";

export function f(l: multiprocessing.Lock, num: number) {
  l.acquire();
  try {
    print("printer used done", num);
    time.sleep(0.1);
  } finally {
    l.release();
  }
}

if (multiprocessing.is_main(import.meta)) {
  const lock = multiprocessing.Lock();
  for (const num of [0,1,2,3]) {
    new multiprocessing.Process({ target: f, args: [lock, num] }).start();
  }
  print("main done");
}
