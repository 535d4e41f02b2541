# Source: the timeout= keyword of each blocking call in Python docs' multiprocessing reference
# (Process.join, Queue.get, Event.wait, Lock.acquire, Condition.wait, Connection.poll,
# Semaphore.acquire, AsyncResult.get/wait, connection.wait, Barrier.wait), called as the docs
# spell them: every one times out and reports as CPython does.
import multiprocessing as mp
import multiprocessing.connection
import queue
import threading
import time

def sleeper(s):
    time.sleep(s)

if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        mp.set_start_method(os.environ["MP_START_METHOD"])
    p = mp.Process(target=sleeper, args=(2,))
    p.start()
    t0 = time.monotonic()
    p.join(timeout=0.2)
    print('Process.join(timeout=0.2): alive', p.is_alive(), 'returned early', time.monotonic() - t0 < 1.5)
    q = mp.Queue()
    try:
        q.get(timeout=0.2)
    except queue.Empty:
        print('Queue.get(timeout=0.2): Empty')
    e = mp.Event()
    print('Event.wait(timeout=0.2):', e.wait(timeout=0.2))
    lock = mp.Lock()
    lock.acquire()
    print('Lock.acquire(timeout=0.2):', lock.acquire(timeout=0.2))
    lock.release()
    cond = mp.Condition()
    with cond:
        print('Condition.wait(timeout=0.2):', cond.wait(timeout=0.2))
    a, b = mp.Pipe()
    print('Connection.poll(timeout=0.2):', a.poll(timeout=0.2))
    print('connection.wait([a], timeout=0.2):', mp.connection.wait([a], timeout=0.2))
    sem = mp.Semaphore(0)
    print('Semaphore.acquire(timeout=0.2):', sem.acquire(timeout=0.2))
    barrier = mp.Barrier(2)
    try:
        barrier.wait(timeout=0.2)
    except threading.BrokenBarrierError:
        print('Barrier.wait(timeout=0.2): BrokenBarrierError')
    with mp.Pool(1) as pool:
        r = pool.apply_async(sleeper, (2,))
        try:
            r.get(timeout=0.2)
        except mp.TimeoutError:
            print('AsyncResult.get(timeout=0.2): TimeoutError')
        r.wait(timeout=0.2)
        print('AsyncResult.wait(timeout=0.2): ready', r.ready())
    p.join()
    print('exitcode', p.exitcode)
