# "Using a remote manager" of Python's multiprocessing docs, both halves in one run (main.ts is
# the TypeScript translation, which also runs the TypeScript server with these Python clients).
# Starts server.py's manager on a free loopback port, runs client_put.py and client_get.py
# against it, then shuts it down.
import os
import subprocess
import sys
from multiprocessing.managers import BaseManager
from queue import Queue

here = os.path.dirname(os.path.abspath(__file__))
queue = Queue()

def get_queue():
    return queue

class QueueManager(BaseManager): pass
QueueManager.register('get_queue', callable=get_queue)

if __name__ == '__main__':
    m = QueueManager(address=('127.0.0.1', 0), authkey=b'abracadabra')
    m.start()
    port = m.address[1]
    print('Python server on port', port)
    subprocess.run([sys.executable, os.path.join(here, 'client_put.py'), str(port)], check=True)
    got = subprocess.run([sys.executable, os.path.join(here, 'client_get.py'), str(port)], check=True, capture_output=True, text=True)
    print('python3 client_get.py printed:', got.stdout.strip())
    m.shutdown()
