# Source: Python docs, multiprocessing, "Programming guidelines", "Safe importing of main module"
# https://docs.python.org/3/library/multiprocessing.html#multiprocessing-safe-main-import
# The unsafe program the guideline warns about: it starts a process at module top level without
# `if __name__ == '__main__':`. Under spawn the child re-imports the module, whose top-level
# start() raises RuntimeError (on stderr); the child exits with code 1 and the parent goes on.
import multiprocessing as mp

ctx = mp.get_context('spawn')

def foo():
    print('hello')

print('top level, __name__ =', __name__)
p = ctx.Process(target=foo)
p.start()
p.join()
print('exitcode', p.exitcode)
