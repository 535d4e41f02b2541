// Port of python/docs_shared_memory_value_array.py: Python docs, multiprocessing, "Sharing state
// between processes", "Shared memory"
// (https://docs.python.org/3/library/multiprocessing.html#sharing-state-between-processes).
import { Process, Value, Array } from "multiprocessing-ts";
import mp from "multiprocessing-ts";
import { len, print, range } from "multiprocessing-ts/py";

export function f(n: mp.sharedctypes.Synchronized<number>, a: mp.sharedctypes.SynchronizedArray<number>) {
  n.value = 3.1415927;
  for (const i of range(len(a))) {
    a[i] = -a[i];
  }
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const num = Value("d", 0.0);
  const arr = Array("i", range(10));

  const p = new Process({ target: f, args: [num, arr] });
  p.start();
  p.join();

  print(num.value);
  print(arr.slice());
}
