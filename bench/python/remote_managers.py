# CPython side of bench/remote_managers.mjs: a manager serving a queue.Queue on loopback, and a
# client timing put+get pairs through a served queue.
#   serve <authkey>             prints "PORT <n>", serves until stdin closes
#   client <port> <authkey> <n> prints {"pairs_per_s": ...} for n put+get pairs (after a warm-up)
import json
import os
import queue
import sys
import threading
import time
from multiprocessing.managers import BaseManager


class QueueManager(BaseManager):
    pass


def serve(authkey):
    q = queue.Queue()
    QueueManager.register("get_queue", callable=lambda: q)
    m = QueueManager(address=("127.0.0.1", 0), authkey=authkey)
    s = m.get_server()

    def watch():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    print("PORT", s.address[1], flush=True)
    s.serve_forever()


def client(port, authkey, n):
    QueueManager.register("get_queue")
    m = QueueManager(address=("127.0.0.1", port), authkey=authkey)
    m.connect()
    q = m.get_queue()
    for i in range(min(200, n)):
        q.put(i)
        q.get()
    t0 = time.perf_counter()
    for i in range(n):
        q.put(i)
        q.get()
    dt = time.perf_counter() - t0
    print(json.dumps({"pairs_per_s": n / dt}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2].encode())
    else:
        client(int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4]))
