# Source: Python docs, multiprocessing, "Connection Objects", the example of
# multiprocessing.connection.wait() (readers of several pipes, each closed by its writer)
# https://docs.python.org/3/library/multiprocessing.html#multiprocessing.connection.wait
# Adapted for a fixed output: the messages are collected and printed sorted (which reader is
# ready first varies), then how many EOFs ended the loop.
import time, random
from multiprocessing import Process, Pipe, current_process
from multiprocessing.connection import wait
import multiprocessing

def foo(w):
    for i in range(10):
        w.send((i, current_process().name))
    w.close()

if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        multiprocessing.set_start_method(os.environ["MP_START_METHOD"])
    readers = []
    eofs = 0
    msgs = []

    for i in range(4):
        r, w = Pipe(duplex=False)
        readers.append(r)
        p = Process(target=foo, args=(w,))
        p.start()
        # We close the writable end of the pipe now to be sure that
        # p is the only process which owns a handle for it.  This
        # ensures that when p closes its handle for the writable end,
        # wait() will promptly report the readable end as being ready.
        w.close()

    while readers:
        for r in wait(readers):
            try:
                msg = r.recv()
            except EOFError:
                readers.remove(r)
                eofs += 1
            else:
                msgs.append(msg)

    for msg in sorted(msgs, key=lambda m: (m[1], m[0])):
        print(msg)
    print('EOFs:', eofs)
