# Source: Python docs, multiprocessing, "Using a pool of workers"
# https://docs.python.org/3/library/multiprocessing.html#using-a-pool-of-workers
# Adapted for a fixed output: imap_unordered's results are sorted, pids are compared instead of
# printed, the sleep is 2 s, results wait up to 10 s, and timeouts are passed positionally (see
# docs_pool_keyword_timeouts.py for the keyword spelling).
from multiprocessing import Pool, TimeoutError
import multiprocessing as mp
import time
import os

def f(x):
    return x*x

if __name__ == '__main__':
    import os as _os
    if _os.environ.get("MP_START_METHOD"):
        mp.set_start_method(_os.environ["MP_START_METHOD"])
    # start 4 worker processes
    with Pool(processes=4) as pool:

        # print "[0, 1, 4,..., 81]"
        print(pool.map(f, range(10)))

        # print same numbers in arbitrary order
        print(sorted(pool.imap_unordered(f, range(10))))

        # evaluate "f(20)" asynchronously
        res = pool.apply_async(f, (20,))      # runs in *only* one process
        print(res.get(10))                     # prints "400"

        # evaluate "os.getpid()" asynchronously
        res = pool.apply_async(os.getpid, ()) # runs in *only* one process
        print(res.get(10) != os.getpid())      # the PID of that process is not ours

        # launching multiple evaluations asynchronously *may* use more processes
        multiple_results = [pool.apply_async(os.getpid, ()) for i in range(4)]
        print(all(isinstance(res.get(10), int) for res in multiple_results))

        # make a single worker sleep for 2 seconds
        res = pool.apply_async(time.sleep, (2,))
        try:
            print(res.get(0.2))
        except TimeoutError:
            print("We lacked patience and got a multiprocessing.TimeoutError")

        print("For the moment, the pool remains available for more work")

    # exiting the 'with'-block has stopped the pool
    print("Now the pool is closed and no longer available")
