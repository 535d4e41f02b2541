# Seed "Shared Memory": a child negates a shared Array; the parent prints it before and after.
import multiprocessing
import time


def change(arr):
    for i in range(len(arr)):
        arr[i] = -arr[i]


if __name__ == "__main__":
    print("main Start")
    arr = multiprocessing.Array('i', range(10))
    print(arr[:])
    p3 = multiprocessing.Process(target=change, args=(arr,))
    p3.start()
    p3.join()
    print(arr[:])
