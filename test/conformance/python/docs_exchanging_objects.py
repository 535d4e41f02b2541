# Source: Python docs, multiprocessing, "Exchanging objects between processes" (the Queues and
# Pipes examples, one after the other)
# https://docs.python.org/3/library/multiprocessing.html#exchanging-objects-between-processes
from multiprocessing import Process, Queue, Pipe
import multiprocessing

def f(q):
    q.put([42, None, 'hello'])

def g(conn):
    conn.send([42, None, 'hello'])
    conn.close()

if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        multiprocessing.set_start_method(os.environ["MP_START_METHOD"])
    q = Queue()
    p = Process(target=f, args=(q,))
    p.start()
    print(q.get())    # prints "[42, None, 'hello']"
    p.join()

    parent_conn, child_conn = Pipe()
    p = Process(target=g, args=(child_conn,))
    p.start()
    print(parent_conn.recv())   # prints "[42, None, 'hello']"
    p.join()
