# Source: CPython Doc/includes/mp_workers.py (Python docs, multiprocessing, "Examples":
# "An example showing how to use queues to feed tasks to a collection of worker processes and
# collect the results"). Adapted for a fixed output: the results are collected, then printed
# sorted with the worker's name masked (which worker runs which task varies), and the random
# sleeps are 0-10 ms.
import time
import random

from multiprocessing import Process, Queue, current_process, freeze_support

#
# Function run by worker processes
#

def worker(input, output):
    for func, args in iter(input.get, 'STOP'):
        result = calculate(func, args)
        output.put(result)

#
# Function used to calculate result
#

def calculate(func, args):
    result = func(*args)
    return '%s says that %s%s = %s' % \
        ('worker', func.__name__, args, result)

#
# Functions referenced by tasks
#

def mul(a, b):
    time.sleep(0.01*random.random())
    return a * b

def plus(a, b):
    time.sleep(0.01*random.random())
    return a + b

#
#
#

def test():
    NUMBER_OF_PROCESSES = 4
    TASKS1 = [(mul, (i, 7)) for i in range(20)]
    TASKS2 = [(plus, (i, 8)) for i in range(10)]

    # Create queues
    task_queue = Queue()
    done_queue = Queue()

    # Submit tasks
    for task in TASKS1:
        task_queue.put(task)

    # Start worker processes
    for i in range(NUMBER_OF_PROCESSES):
        Process(target=worker, args=(task_queue, done_queue)).start()

    # Get and print results
    print('Unordered results:')
    results = [done_queue.get() for i in range(len(TASKS1))]
    for r in sorted(results):
        print('\t', r)

    # Add more tasks using `put()`
    for task in TASKS2:
        task_queue.put(task)

    # Get and print some more results
    results = [done_queue.get() for i in range(len(TASKS2))]
    for r in sorted(results):
        print('\t', r)

    # Tell child processes to stop
    for i in range(NUMBER_OF_PROCESSES):
        task_queue.put('STOP')


if __name__ == '__main__':
    import os, multiprocessing
    if os.environ.get("MP_START_METHOD"):
        multiprocessing.set_start_method(os.environ["MP_START_METHOD"])
    freeze_support()
    test()
