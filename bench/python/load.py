# CPython side of bench/load.mjs: Queue with 4 producers x 4 consumers and 4 x 1 (400,000 small
# items), and 500 spawn processes started and joined. Same JSON rows (name, value = median, unit,
# min, max, n). Usage: python3 bench/python/load.py [--reps N] [--scale F] [--only a,b]
import json, multiprocessing as mp, resource, statistics, sys, time

def producer(q, n):
    for s in range(n):
        q.put(s)

def consumer(q, cnt):
    got = 0
    while q.get() is not None:
        got += 1
    with cnt.get_lock():
        cnt[0] += got

def noop():
    pass

def queue_shape(ctx, P, C, total):
    q = ctx.Queue(); cnt = ctx.Array("i", 1)
    cons = [ctx.Process(target=consumer, args=(q, cnt)) for _ in range(C)]
    prods = [ctx.Process(target=producer, args=(q, total // P)) for _ in range(P)]
    t0 = time.perf_counter()
    for p in cons + prods: p.start()
    for p in prods: p.join()
    for _ in range(C): q.put(None)
    for p in cons: p.join()
    s = time.perf_counter() - t0
    assert cnt[0] == total, (cnt[0], total)
    return s

def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def emit(name, xs, unit, **extra):
    print(json.dumps({"name": name, "value": round(statistics.median(xs), 3), "unit": unit, "min": round(min(xs), 3), "max": round(max(xs), 3), "n": len(xs), **extra}), flush=True)

if __name__ == "__main__":
    a = sys.argv[1:]
    opt = lambda n, d: a[a.index(n) + 1] if n in a else d
    reps = max(1, int(opt("--reps", 3))); scale = float(opt("--scale", 1))
    only = opt("--only", None); only = only.split(",") if only else None
    want = lambda n: only is None or n in only
    ctx = mp.get_context("fork")
    total = max(16, int(400_000 * scale) // 16 * 16)
    for P, C in ((4, 4), (4, 1)):
        name = f"queue_{P}x{C}"
        if not want(name): continue
        queue_shape(ctx, P, C, 16_000)
        emit(name, [queue_shape(ctx, P, C, total) for _ in range(reps)], "s", items=total)
    if want("spawn_500"):
        n = max(1, int(500 * scale)); sctx = mp.get_context("spawn"); xs = []; growth = 0.0
        for _ in range(min(reps, 2)):
            r0 = rss_mib(); t0 = time.perf_counter()
            for _ in range(n):
                p = sctx.Process(target=noop); p.start(); p.join()
            xs.append(time.perf_counter() - t0); growth = max(growth, rss_mib() - r0)
        emit("spawn_500", xs, "s", processes=n, rss_growth_mib=round(growth, 1))
