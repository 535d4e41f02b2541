# Seed "Multi-process Lock component", lock.acquire() / lock.release() in try/finally.
import multiprocessing
import time


def add(number, value, lock):
    lock.acquire()
    try:
        print("Init add{0} number={1}".format(value, number))
        for i in range(1, 5):
            number += value
            time.sleep(1)
            print("add{0} num = {1}".format(value, number))
    except Exception as e:
        raise e
    finally:
        lock.release()


if __name__ == "__main__":
    number = 0
    lock = multiprocessing.Lock()
    p1 = multiprocessing.Process(target=add, args=(number, 1, lock))
    p2 = multiprocessing.Process(target=add, args=(number, 3, lock))
    p1.start()
    p2.start()
    print("Main End")
