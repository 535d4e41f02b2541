# Seed "13.1 ...", the semaphore section: BoundedSemaphore(2) lets at most two processes in.
import multiprocessing
import time


def worker(s, i):
    s.acquire()
    print(multiprocessing.current_process().name + " acquire")
    time.sleep(i)
    print(multiprocessing.current_process().name + " release")
    s.release()


if __name__ == "__main__":
    s = multiprocessing.BoundedSemaphore(2)
    for i in range(5):
        p = multiprocessing.Process(target=worker, args=(s, i * 0.2))
        p.start()
