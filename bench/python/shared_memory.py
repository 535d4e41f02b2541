"""CPython baseline for the shared_memory rows (bench/shared_memory.mjs runs it beside ours).

Prints one JSON object per line: {"name", "value" (median), "unit", "min", "max", "n"}.
  shm_attach_us       SharedMemory(name) + close() of an existing 1 MB block, in the parent
  shm_child_first_attach_us a new child's very first SharedMemory(name) + close()
  shm_child_attach_us a child attaches by name to 200 blocks it has never seen (mean per block)
  shm_child_attach_fresh_us a warm child attaches a block made after its last attach
  shm_create_unlink_us SharedMemory(create=True, size=1 MB) + close() + unlink()
  shm_100mb_write_gbs a child attaches by name and writes 100 MB through .buf (buf[:] = src)
  shm_100mb_read_gbs  the same child reads the 100 MB back through .buf into a resident buffer (dst[:] = buf)
  shm_100mb_read_new_gbs ... and into a new bytes object (bytes(buf): mostly fresh-page faults)
Usage: python3 bench/python/shared_memory.py [--reps N]
"""
import json
import multiprocessing as mp
import sys
import time
from multiprocessing import shared_memory

SIZE = 100 * 2**20


def emit(name, samples, unit, digits=3):
    s = sorted(samples)
    m = len(s) // 2
    med = s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2
    print(json.dumps({"name": name, "value": round(med, digits), "unit": unit,
                      "min": round(s[0], digits), "max": round(s[-1], digits), "n": len(s)}), flush=True)


def bulk_child(name, conn):
    shm = shared_memory.SharedMemory(name)
    src = b"\x5a" * SIZE
    dst = bytearray(b"\x01" * SIZE)  # touched: its pages are resident before the clock starts
    mdst = memoryview(dst)
    t0 = time.perf_counter()
    shm.buf[:SIZE] = src
    t1 = time.perf_counter()
    mdst[:] = shm.buf[:SIZE]
    t2 = time.perf_counter()
    out = bytes(shm.buf[:SIZE])
    t3 = time.perf_counter()
    assert out[SIZE - 1] == 0x5A and dst[SIZE - 1] == 0x5A
    del out
    mdst.release()
    shm.close()
    conn.send((t1 - t0, t2 - t1, t3 - t2))


def attach_fresh(conn):
    times = []
    name = conn.recv()
    while name is not None:
        t0 = time.perf_counter()
        shared_memory.SharedMemory(name).close()
        times.append(time.perf_counter() - t0)
        conn.send(True)
        name = conn.recv()
    conn.send(times)


def attach_first(name, conn):
    t0 = time.perf_counter()
    shared_memory.SharedMemory(name).close()
    conn.send(time.perf_counter() - t0)


def attach_each(names, conn):
    t0 = time.perf_counter()
    for name in names:
        shared_memory.SharedMemory(name).close()
    conn.send((time.perf_counter() - t0) / len(names))


def main():
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 5
    ctx = mp.get_context("fork")
    base = shared_memory.SharedMemory(create=True, size=2**20)
    try:
        n = 2000
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(n):
                shared_memory.SharedMemory(base.name).close()
            samples.append((time.perf_counter() - t0) / n * 1e6)
        emit("shm_attach_us", samples, "us")
    finally:
        base.close()
        base.unlink()
    samples = []
    for _ in range(reps * 3):
        one = shared_memory.SharedMemory(create=True, size=4096)
        rd, wr = ctx.Pipe(False)
        p = ctx.Process(target=attach_first, args=(one.name, wr))
        p.start()
        samples.append(rd.recv() * 1e6)
        p.join()
        one.close()
        one.unlink()
    emit("shm_child_first_attach_us", samples, "us")
    blocks = [shared_memory.SharedMemory(create=True, size=4096) for _ in range(200)]
    samples = []
    for _ in range(reps):
        rd, wr = ctx.Pipe(False)
        p = ctx.Process(target=attach_each, args=([b.name for b in blocks], wr))
        p.start()
        samples.append(rd.recv() * 1e6)
        p.join()
    emit("shm_child_attach_us", samples, "us")
    for b in blocks:
        b.close()
        b.unlink()
    a, b = ctx.Pipe()
    p = ctx.Process(target=attach_fresh, args=(b,))
    p.start()
    made = [shared_memory.SharedMemory(create=True, size=4096)]
    a.send(made[0].name)  # the child's first attach, not measured below
    a.recv()
    for _ in range(20 * reps):
        made.append(shared_memory.SharedMemory(create=True, size=4096))
        a.send(made[-1].name)
        a.recv()
    a.send(None)
    times = [x * 1e6 for x in a.recv()[1:]]
    p.join()
    for s in made:
        s.close()
        s.unlink()
    emit("shm_child_attach_fresh_us", times, "us")
    n = 500
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            s = shared_memory.SharedMemory(create=True, size=2**20)
            s.close()
            s.unlink()
        samples.append((time.perf_counter() - t0) / n * 1e6)
    emit("shm_create_unlink_us", samples, "us")
    big = shared_memory.SharedMemory(create=True, size=SIZE)
    try:
        w, r, rn = [], [], []
        for _ in range(reps):
            rd, wr = ctx.Pipe(False)
            p = ctx.Process(target=bulk_child, args=(big.name, wr))
            p.start()
            tw, tr, trn = rd.recv()
            p.join()
            w.append(SIZE / tw / 1e9)
            r.append(SIZE / tr / 1e9)
            rn.append(SIZE / trn / 1e9)
        emit("shm_100mb_write_gbs", w, "GB/s")
        emit("shm_100mb_read_gbs", r, "GB/s")
        emit("shm_100mb_read_new_gbs", rn, "GB/s")
    finally:
        big.close()
        big.unlink()


if __name__ == "__main__":
    main()
