# Source: Python docs, multiprocessing, "Sharing state between processes", "Shared memory"
# https://docs.python.org/3/library/multiprocessing.html#sharing-state-between-processes
from multiprocessing import Process, Value, Array
import multiprocessing

def f(n, a):
    n.value = 3.1415927
    for i in range(len(a)):
        a[i] = -a[i]

if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        multiprocessing.set_start_method(os.environ["MP_START_METHOD"])
    num = Value('d', 0.0)
    arr = Array('i', range(10))

    p = Process(target=f, args=(num, arr))
    p.start()
    p.join()

    print(num.value)
    print(arr[:])
