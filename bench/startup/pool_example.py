# The first Pool example of Python's multiprocessing docs (bench/startup.mjs times the whole program).
from multiprocessing import Pool


def f(x):
    return x * x


if __name__ == "__main__":
    with Pool(5) as p:
        print(p.map(f, [1, 2, 3]))
