// Port of python/pymotw_import_main.py: PyMOTW-3, multiprocessing, "Importable Target Functions"
// (https://pymotw.com/3/multiprocessing/basics.html): the target lives in another module.
import mp from "multiprocessing-ts";
import * as multiprocessing_import_worker from "../helpers/multiprocessing_import_worker.js";
import { range } from "multiprocessing-ts/py";

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const jobs = [];
  for (const _ of range(5)) {
    const p = new mp.Process({
      target: multiprocessing_import_worker.worker,
    });
    jobs.push(p);
    p.start();
  }
}
