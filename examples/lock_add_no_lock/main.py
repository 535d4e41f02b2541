# Seed "Multi-process Lock component", without a lock: number + 1 and number + 3 interleave.
# Each process gets its own copy of the plain int `number`.
import multiprocessing
import time


def add(number, value, lock):
    print("Init add{0} number={1}".format(value, number))
    for i in range(1, 5):
        number += value
        time.sleep(1)
        print("add{0} num = {1}".format(value, number))


if __name__ == "__main__":
    number = 0
    lock = multiprocessing.Lock()
    p1 = multiprocessing.Process(target=add, args=(number, 1, lock))
    p2 = multiprocessing.Process(target=add, args=(number, 3, lock))
    p1.start()
    p2.start()
    print("Main End")
