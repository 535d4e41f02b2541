# Source: Python docs, pickle, "What can be pickled and unpickled?" ("functions accessible from
# the top level of a module" travel by name) with multiprocessing's Pool.starmap/map/apply
# (https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled): functions
# as pool arguments and as pool results.
import multiprocessing as mp

def add(a, b):
    return a + b

def mul(a, b):
    return a * b

def apply(func, a, b):
    return func(a, b)

def pick(name):
    return {'add': add, 'mul': mul}[name]

if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        mp.set_start_method(os.environ["MP_START_METHOD"])
    with mp.Pool(2) as pool:
        print(pool.starmap(apply, [(add, 1, 2), (mul, 3, 4), (add, 5, 6)]))
        funcs = pool.map(pick, ['add', 'mul'])
        print([f.__name__ for f in funcs], funcs[0] is add, funcs[1](6, 7))
        print(pool.apply(apply, (mul, 6, 7)))
