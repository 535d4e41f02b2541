# Source: PyMOTW-3, multiprocessing, "Process Pools" (multiprocessing_pool.py)
# https://pymotw.com/3/multiprocessing/communication.html#process-pools
# Adapted for a fixed output: the initializer records instead of printing (which worker starts
# when varies), builtin map's result is listed, and the pool has 2 processes.
import multiprocessing


def do_calculation(data):
    return data * 2


def start_process():
    global started
    started = multiprocessing.current_process().name


if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        multiprocessing.set_start_method(os.environ["MP_START_METHOD"])
    inputs = list(range(10))
    print('Input   :', inputs)

    builtin_outputs = list(map(do_calculation, inputs))
    print('Built-in:', builtin_outputs)

    pool_size = 2
    pool = multiprocessing.Pool(
        processes=pool_size,
        initializer=start_process,
    )
    pool_outputs = pool.map(do_calculation, inputs)
    pool.close()  # no more tasks
    pool.join()  # wrap up current tasks

    print('Pool    :', pool_outputs)
