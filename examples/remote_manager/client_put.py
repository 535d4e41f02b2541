# "Using a remote manager" of Python's multiprocessing docs: one client puts.
# Run: python3 client_put.py [port]
import sys
from multiprocessing.managers import BaseManager
class QueueManager(BaseManager): pass
QueueManager.register('get_queue')
m = QueueManager(address=('127.0.0.1', int(sys.argv[1]) if len(sys.argv) > 1 else 50000), authkey=b'abracadabra')
m.connect()
queue = m.get_queue()
queue.put('hello')
