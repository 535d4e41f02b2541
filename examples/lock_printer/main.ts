// Seed "13.1, multi-process: Process lock lock, semaphore, event": ten processes share a printer.
import { Lock, Process, is_main } from "multiprocessing-ts";
import { print, range } from "multiprocessing-ts/py";

export function f(l: Lock, num: number) {
  l.acquire();
  try {
    print("printer used done", num);
  } finally {
    l.release();
  }
}

if (is_main(import.meta)) {
  const lock = Lock();
  for (const num of range(10)) {
    new Process({ target: f, args: [lock, num] }).start();
  }
}
