# Python docs, multiprocessing.shared_memory: SharedMemoryManager, by hand and as a context
# manager dividing work between two processes through a ShareableList.
from multiprocessing import Process
from multiprocessing import shared_memory
from multiprocessing.managers import SharedMemoryManager


def do_work(sl, start, stop):
    for i in range(start, stop):
        sl[i] = i * i


if __name__ == '__main__':
    smm = SharedMemoryManager()
    smm.start()  # Start the process that manages the shared memory blocks
    sl = smm.ShareableList(range(4))
    print(list(sl))
    raw_shm = smm.SharedMemory(size=128)
    another_sl = smm.ShareableList('alpha')
    print(list(another_sl))
    held = sl.shm.name
    smm.shutdown()  # Calls unlink() on sl, raw_shm, and another_sl
    try:
        shared_memory.SharedMemory(held)
    except FileNotFoundError as e:
        print("after shutdown:", type(e).__name__)

    with SharedMemoryManager() as smm:
        sl = smm.ShareableList(range(2000))
        # Divide the work among two processes, storing partial results in sl
        p1 = Process(target=do_work, args=(sl, 0, 1000))
        p2 = Process(target=do_work, args=(sl, 1000, 2000))
        p1.start()
        p2.start()  # A multiprocessing.Pool might be more efficient
        p1.join()
        p2.join()   # Wait for all work to complete in both processes
        total_result = sum(sl)  # Consolidate the partial results now in sl
    print(total_result)
