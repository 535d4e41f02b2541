// Port of python/pymotw_simple.py: PyMOTW-3, multiprocessing, "multiprocessing Basics"
// (https://pymotw.com/3/multiprocessing/basics.html, multiprocessing_simple.py).
import mp from "multiprocessing-ts";
import { print, range } from "multiprocessing-ts/py";

/** worker function */
export function worker() {
  print("Worker");
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const jobs = [];
  for (const _ of range(5)) {
    const p = new mp.Process({ target: worker });
    jobs.push(p);
    p.start();
  }
}
