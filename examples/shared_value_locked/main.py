# The shared Value program again, with each read-modify-write under number.get_lock():
# additions are never lost, whatever the interleaving.
import multiprocessing
import time


def add(number, add_value):
    print("Init add{0} number={1}".format(add_value, number.value))
    for i in range(1, 5):
        with number.get_lock():
            old_number_value = number.value
            number.value += add_value
            print("add{0} num {2} = {0} + {1}".format(add_value, old_number_value, number.value))
        time.sleep(1)
        print("add{0} num = {1}".format(add_value, number.value))


if __name__ == "__main__":
    print("main start")
    number = multiprocessing.Value('i', 0)
    print(number)
    p1 = multiprocessing.Process(target=add, args=(number, 1))
    p2 = multiprocessing.Process(target=add, args=(number, 3))
    p1.start()
    p2.start()
    p1.join()
    p2.join()
    print("main end, number =", number.value)
