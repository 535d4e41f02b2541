# Source: Python docs, multiprocessing, "Contexts and start methods" (get_context example)
# https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods
import multiprocessing as mp

def foo(q):
    q.put('hello')

if __name__ == '__main__':
    ctx = mp.get_context('spawn')
    q = ctx.Queue()
    p = ctx.Process(target=foo, args=(q,))
    p.start()
    print(q.get())
    p.join()
