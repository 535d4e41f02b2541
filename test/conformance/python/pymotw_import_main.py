# Source: PyMOTW-3, multiprocessing, "Importable Target Functions" (multiprocessing_import_main.py)
# https://pymotw.com/3/multiprocessing/basics.html
# The target lives in another module (multiprocessing_import_worker.py).
import multiprocessing
import multiprocessing_import_worker

if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        multiprocessing.set_start_method(os.environ["MP_START_METHOD"])
    jobs = []
    for i in range(5):
        p = multiprocessing.Process(
            target=multiprocessing_import_worker.worker,
        )
        jobs.append(p)
        p.start()
