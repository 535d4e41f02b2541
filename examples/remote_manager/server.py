# "Using a remote manager" of Python's multiprocessing docs: the server.
# Run: python3 server.py [port]   (the docs use port 50000; 0 picks a free one)
import sys
from multiprocessing.managers import BaseManager
from queue import Queue
queue = Queue()
class QueueManager(BaseManager): pass
QueueManager.register('get_queue', callable=lambda:queue)
m = QueueManager(address=('127.0.0.1', int(sys.argv[1]) if len(sys.argv) > 1 else 50000), authkey=b'abracadabra')
s = m.get_server()
print('serving on port', s.address[1], flush=True)
s.serve_forever()
