# Seed "13.1, multi-process: Process lock lock, semaphore, event": ten processes share a printer.
from multiprocessing import Lock, Process


def f(l, num):
    l.acquire()
    try:
        print("printer used done", num)
    finally:
        l.release()


if __name__ == "__main__":
    lock = Lock()
    for num in range(10):
        Process(target=f, args=(lock, num)).start()
