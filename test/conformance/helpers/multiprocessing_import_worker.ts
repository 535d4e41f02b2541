// Helper module of cases/pymotw_import_main.ts (PyMOTW-3's multiprocessing_import_worker.py).
import { print } from "multiprocessing-ts/py";

/** worker function */
export function worker() {
  print("Worker");
  return;
}
