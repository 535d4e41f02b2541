# Source: PyMOTW-3, multiprocessing, "multiprocessing Basics" (multiprocessing_simple.py)
# https://pymotw.com/3/multiprocessing/basics.html
import multiprocessing


def worker():
    """worker function"""
    print('Worker')


if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        multiprocessing.set_start_method(os.environ["MP_START_METHOD"])
    jobs = []
    for i in range(5):
        p = multiprocessing.Process(target=worker)
        jobs.append(p)
        p.start()
