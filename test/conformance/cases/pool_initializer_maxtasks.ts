// Port of pool_initializer_maxtasks.py: Pool(initializer, initargs) runs once per worker before
// any task; maxtasksperchild=N retires a worker after N tasks and starts a replacement; pool
// workers are daemonic and named '<Kind>PoolWorker-<n>'.
import mp from "multiprocessing-ts";
import { print, range, time, tuple, os } from "multiprocessing-ts/py";

let VALUE: unknown = null;

export function init(value: unknown) {
  VALUE = value;
}

export function get_value(_: unknown) {
  return VALUE;
}

export function whoami(_: unknown) {
  const cur = mp.current_process();
  return tuple(os.getpid(), cur.daemon, /^[A-Za-z]*PoolWorker-\d+$/.test(cur.name));
}

export function sqr(x: number, wait = 0.0) {
  time.sleep(wait);
  return x * x;
}

function main() {
  mp.Pool(2, init, [42]).with((pool) => {
    print("initializer-set global seen by tasks:", pool.map(get_value, range(6), 1));
    const info = pool.map(whoami, range(6), 1) as unknown as [number, boolean, boolean][];
    print("workers daemonic:", info.every(([, d]) => d), "| names match *PoolWorker-N:", info.every(([, , n]) => n));
    print("at most 2 distinct worker pids:", new Set(info.map(([pid]) => pid)).size <= 2);
  });
  mp.Pool({ processes: 1, maxtasksperchild: 1 }).with((pool) => {
    const pids = pool.map(whoami, range(3), 1) as unknown as [number][];
    print("maxtasksperchild=1, 3 tasks on 1 worker slot -> distinct pids:", new Set(pids.map(([pid]) => pid)).size);
  });
  let p = mp.Pool({ processes: 3, maxtasksperchild: 10 });
  let results = [...range(60)].map((i) => p.apply_async(sqr, [i]));
  print("maxtasksperchild=10, 60 tasks, results correct:", results.every((r, i) => r.get(20) === i * i));
  p.close();
  p.join();
  p = mp.Pool({ processes: 3, maxtasksperchild: 1 });
  results = [...range(6)].map((i) => p.apply_async(sqr, [i, 0.05]));
  p.close();
  p.join(); // early close must not hang (issue #10332)
  print("early close with maxtasksperchild=1:", results.map((r) => r.get()));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
