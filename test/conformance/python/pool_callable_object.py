# Source: Python docs, pickle, "What can be pickled and unpickled?" ("instances of such classes
# whose __dict__ ... is picklable") with the data model's __call__
# (https://docs.python.org/3/reference/datamodel.html#object.__call__): an instance of a
# module-level class with __call__ is a pool function, pickled by reference to its class and
# called in the worker with its own fields; its errors come back as the worker raised them.
import multiprocessing as mp


class Scale:
    def __init__(self, factor):
        self.factor = factor

    def __call__(self, x, y=0):
        if x < 0:
            raise ValueError(f"negative input: {x}")
        return self.factor * x + y

    def __repr__(self):
        return f"Scale({self.factor})"


if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        mp.set_start_method(os.environ["MP_START_METHOD"])
    triple = Scale(3)
    with mp.Pool(2) as pool:
        print(pool.map(triple, [1, 2, 3]))
        print(pool.starmap(Scale(2), [(1, 10), (2, 20)]))
        print(pool.apply(Scale(5), (4,)))
        print(pool.apply(Scale(5), (4,), {'y': 1}))
        print(pool.map(Scale(10), range(20), 3))
        r = pool.apply_async(triple, (-1,))
        try:
            r.get(10)
        except ValueError as e:
            print("ValueError:", e)
        print(triple, triple(7))
