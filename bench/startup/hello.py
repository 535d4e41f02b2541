# A one-Process hello (bench/startup.mjs times the whole program).
from multiprocessing import Process


def f(name):
    print("hello", name)


if __name__ == "__main__":
    p = Process(target=f, args=("bob",))
    p.start()
    p.join()
