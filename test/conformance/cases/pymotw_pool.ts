// Port of python/pymotw_pool.py: PyMOTW-3, multiprocessing, "Process Pools"
// (https://pymotw.com/3/multiprocessing/communication.html#process-pools, multiprocessing_pool.py),
// with Pool's keyword arguments as one options object (`Pool({ processes, initializer })`).
import mp from "multiprocessing-ts";
import { print, range } from "multiprocessing-ts/py";

export function do_calculation(data: number) {
  return data * 2;
}

let started: string | null = null;
export function start_process() {
  started = mp.current_process().name;
  void started;
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const inputs = [...range(10)];
  print("Input   :", inputs);

  const builtin_outputs = inputs.map(do_calculation);
  print("Built-in:", builtin_outputs);

  const pool_size = 2;
  const pool = mp.Pool({
    processes: pool_size,
    initializer: start_process,
  });
  const pool_outputs = pool.map(do_calculation, inputs);
  pool.close(); // no more tasks
  pool.join(); // wrap up current tasks

  print("Pool    :", pool_outputs);
}
