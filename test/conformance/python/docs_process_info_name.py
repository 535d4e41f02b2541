# Source: Python docs, multiprocessing, "The Process class" (the info() example)
# https://docs.python.org/3/library/multiprocessing.html#the-process-class
# Adapted for a fixed output: pids are compared instead of printed; spawn is the start method,
# so the child's re-imported main module is named '__mp_main__'.
from multiprocessing import Process
import multiprocessing
import os

def info(title):
    print(title)
    print('module name:', __name__)
    print('parent process is not this process:', os.getppid() != os.getpid())
    print('process id is an int:', isinstance(os.getpid(), int))

def f(name):
    info('function f')
    print('hello', name)

if __name__ == '__main__':
    multiprocessing.set_start_method('spawn')
    info('main line')
    p = Process(target=f, args=('bob',))
    p.start()
    p.join()
