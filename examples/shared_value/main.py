# Seed "Shared Memory": two processes add to a shared Value without a lock; each sees the
# other's additions, and the printed numbers depend on how they interleave.
import multiprocessing
import time


def add(number, add_value):
    try:
        print("Init add{0} number={1}".format(add_value, number.value))
        for i in range(1, 5):
            old_number_value = number.value
            number.value += add_value
            print("add{0} num {2} = {0} + {1}".format(add_value, old_number_value, number.value))
            print("######add{0} has added #####".format(add_value))
            time.sleep(1)
            print("add{0} num = {1}".format(add_value, number.value))
    except Exception as e:
        raise e


if __name__ == "__main__":
    print("main start")
    number = multiprocessing.Value('i', 0)
    print(number)
    p1 = multiprocessing.Process(target=add, args=(number, 1))
    p2 = multiprocessing.Process(target=add, args=(number, 3))
    p1.start()
    p2.start()
    print("main end")
