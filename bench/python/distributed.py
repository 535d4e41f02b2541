#!/usr/bin/env python3
"""CPython's counterpart of bench/distributed.mjs: the same maps on the local
multiprocessing.Pool (fork), for ratios against the distributed Pool. There is
no distributed Pool in CPython's standard library; this measures what a
program gives up (per-task overhead) or keeps (CPU-bound speed-up) by moving
from a local Pool to one whose tasks go through Redis.

Prints one JSON object per line (name, value = median, unit, min, max, n),
with the names of bench/distributed.mjs.  Usage:
    python3 bench/python/distributed.py [--reps N] [--items N]
"""
import json
import multiprocessing as mp
import statistics
import sys
import time


def square(x):
    return x * x


def burn(ms):
    end = time.perf_counter() + ms / 1000
    acc = 0
    while time.perf_counter() < end:
        for i in range(50):
            acc = (acc * 31 + i) % 1000003
    return acc


def emit(name, samples, unit, **extra):
    print(json.dumps({"name": name, "value": round(statistics.median(samples), 3), "unit": unit,
                      "min": round(min(samples), 3), "max": round(max(samples), 3), "n": len(samples), **extra}))


def main():
    args = sys.argv[1:]
    opt = lambda name, d: int(args[args.index(name) + 1]) if name in args else d
    reps, items = opt("--reps", 3), opt("--items", 2000)
    ctx = mp.get_context("fork")
    xs = list(range(items))
    big = list(range(items * 50))
    one, dflt = [], []
    with ctx.Pool(2) as pool:
        pool.map(burn, [100] * 8, 1)
        for _ in range(reps):
            t0 = time.perf_counter()
            pool.map(square, xs, 1)
            one.append(items / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            pool.map(square, big)
            dflt.append(len(big) / (time.perf_counter() - t0))
    emit("distributed_map_chunksize1_tasks_per_s", one, "tasks/s", workers=2, items=items)
    emit("distributed_map_chunksize1_overhead_ms", [1000 / v for v in one], "ms/task", workers=2)
    emit("distributed_map_default_chunksize_tasks_per_s", dflt, "tasks/s", workers=2, items=items * 50)
    work = [100] * 16
    times = {}
    for n in (1, 2):
        with ctx.Pool(n) as pool:
            pool.map(burn, [100] * (4 * n), 1)
            times[n] = []
            for _ in range(reps):
                t0 = time.perf_counter()
                pool.map(burn, work, 1)
                times[n].append(time.perf_counter() - t0)
    emit("distributed_cpu_map_1_worker_s", times[1], "s", tasks=len(work), task_ms=100)
    emit("distributed_cpu_map_2_workers_s", times[2], "s", tasks=len(work), task_ms=100)
    emit("distributed_cpu_speedup_1_to_2_workers", [a / b for a, b in zip(times[1], times[2])], "x")


if __name__ == "__main__":
    main()
