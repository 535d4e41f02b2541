#!/usr/bin/env python3
"""CPython twin of bench/byref.mjs: an instance of a module-level class through a Queue
(child -> parent, 'fork' context), beside a dict with the same fields, and pickle.dumps +
loads of one item. One JSON object per line, the same names as bench/byref.mjs."""
import json
import multiprocessing as mp
import pickle
import statistics
import sys
import time


class Item:
    def __init__(self, id, name, values):
        self.id = id
        self.name = name
        self.values = values

    def total(self):
        return sum(self.values)


def make(kind, i):
    if kind == 'instance':
        return Item(i, 'item-%d' % i, [1.5, 2.5, i])
    return {'id': i, 'name': 'item-%d' % i, 'values': [1.5, 2.5, i]}


def producer(q, kind, n):
    for i in range(n):
        q.put(make(kind, i))
    q.put(None)


def queue_rate(ctx, kind, n):
    q = ctx.Queue()
    p = ctx.Process(target=producer, args=(q, kind, n))
    p.start()
    got = q.get()
    t0 = time.perf_counter()
    count = 1
    while True:
        got = q.get()
        if got is None:
            break
        count += 1
        got.total() if kind == 'instance' else got['values'][2]
    dt = time.perf_counter() - t0
    p.join()
    assert count == n
    return (n - 1) / dt


def codec_cost(kind, n):
    items = [make(kind, i) for i in range(1000)]
    t0 = time.perf_counter()
    for _ in range(n // 1000):
        for it in items:
            pickle.loads(pickle.dumps(it))
    return (time.perf_counter() - t0) / n * 1e6


def row(name, samples, unit, digits):
    return {'name': name, 'value': round(statistics.median(samples), digits), 'unit': unit,
            'min': round(min(samples), digits), 'max': round(max(samples), digits), 'n': len(samples)}


if __name__ == '__main__':
    args = sys.argv[1:]
    reps = int(args[args.index('--reps') + 1]) if '--reps' in args else 3
    n = int(args[args.index('--items') + 1]) if '--items' in args else 50000
    ctx = mp.get_context('fork')
    for kind in ('instance', 'plain'):
        rates = [queue_rate(ctx, kind, n) for _ in range(reps)]
        costs = [codec_cost(kind, 100000) for _ in range(reps)]
        print(json.dumps(row('byref_queue_%s_throughput' % kind, rates, 'msgs/s', 0)))
        print(json.dumps(row('byref_codec_%s_us' % kind, costs, 'us/item', 3)))
