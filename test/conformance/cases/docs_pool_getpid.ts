// Port of python/docs_pool_getpid.py: Python docs, multiprocessing, "Using a pool of workers"
// (https://docs.python.org/3/library/multiprocessing.html#using-a-pool-of-workers), with the
// library's own os.getpid and time.sleep as pool functions (they travel by reference).
import mp from "multiprocessing-ts";
import { Pool, TimeoutError } from "multiprocessing-ts";
import { print, range, time, os } from "multiprocessing-ts/py";

export function f(x: number) {
  return x * x;
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  // start 4 worker processes
  Pool(4).with((pool) => {
    // print "[0, 1, 4,..., 81]"
    print(pool.map(f, range(10)));

    // print same numbers in arbitrary order
    print([...pool.imap_unordered(f, range(10))].sort((a, b) => a - b));

    // evaluate "f(20)" asynchronously
    let res: mp.pool.AsyncResult<unknown> = pool.apply_async(f, [20]); // runs in *only* one process
    print(res.get(10)); // prints "400"

    // evaluate "os.getpid()" asynchronously
    res = pool.apply_async(os.getpid, []); // runs in *only* one process
    print(res.get(10) !== os.getpid()); // the PID of that process is not ours

    // launching multiple evaluations asynchronously *may* use more processes
    const multiple_results = [...range(4)].map(() => pool.apply_async(os.getpid, []));
    print(multiple_results.every((res) => typeof res.get(10) === "number"));

    // make a single worker sleep for 2 seconds
    res = pool.apply_async(time.sleep, [2]);
    try {
      print(res.get(0.2));
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      print("We lacked patience and got a multiprocessing.TimeoutError");
    }

    print("For the moment, the pool remains available for more work");
  });

  // exiting the 'with'-block has stopped the pool
  print("Now the pool is closed and no longer available");
}
