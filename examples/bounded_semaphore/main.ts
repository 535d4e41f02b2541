// Seed "13.1 ...", the semaphore section: BoundedSemaphore(2) lets at most two processes in.
import multiprocessing from "multiprocessing-ts";
import { print, range, time } from "multiprocessing-ts/py";

export function worker(s: multiprocessing.BoundedSemaphore, i: number) {
  s.acquire();
  print(multiprocessing.current_process().name + " acquire");
  time.sleep(i);
  print(multiprocessing.current_process().name + " release");
  s.release();
}

if (multiprocessing.is_main(import.meta)) {
  const s = multiprocessing.BoundedSemaphore(2);
  for (const i of range(5)) {
    const p = new multiprocessing.Process({ target: worker, args: [s, i * 0.2] });
    p.start();
  }
}
