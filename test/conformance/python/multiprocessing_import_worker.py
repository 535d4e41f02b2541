# Helper module of pymotw_import_main.py (PyMOTW-3's multiprocessing_import_worker.py).
def worker():
    """worker function"""
    print('Worker')
    return
