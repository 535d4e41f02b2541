# CPython side of bench/remote_managers.mjs: a manager serving a queue.Queue on loopback, and a
# client timing put+get pairs through a served queue.
#   serve <authkey>             prints "PORT <n>", serves until stdin closes
#   client <port> <authkey> <n> [start_at]
#                               prints {"pairs_per_s": ..., "start": ..., "end": ...} for n put+get
#                               pairs (after a warm-up; timed from the epoch time start_at if given)
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


def client(port, authkey, n, start_at=None):
    QueueManager.register("get_queue")
    m = QueueManager(address=("127.0.0.1", port), authkey=authkey)
    m.connect()
    q = m.get_queue()
    for i in range(min(200, n)):
        q.put(i)
        q.get()
    if start_at is not None:
        # Several clients at once: all start timing together (wall clock, agreed beforehand).
        time.sleep(max(0.0, start_at - time.time()))
    start = time.time()
    t0 = time.perf_counter()
    for i in range(n):
        q.put(i)
        q.get()
    dt = time.perf_counter() - t0
    print(json.dumps({"pairs_per_s": n / dt, "start": start, "end": start + dt}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2].encode())
    else:
        client(int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4]), float(sys.argv[5]) if len(sys.argv) > 5 else None)
