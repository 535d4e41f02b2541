# CPython's side of bench/pickle.mjs: pickle.dumps + pickle.loads (protocol 4) of a small object
# and of 1 MiB of bytes. One JSON object per line: name, value (median), unit, min, max, n.
import json, pickle, statistics, sys, time

reps = int(sys.argv[sys.argv.index('--reps') + 1]) if '--reps' in sys.argv else 5
scale = float(sys.argv[sys.argv.index('--scale') + 1]) if '--scale' in sys.argv else 1.0

SMALL = {'id': 12345, 'name': 'alice', 'tags': ['a', 'b', 'c'], 'score': 1.5, 'ok': True,
         'point': (3, 4), 'nested': {'x': [1, 2, 3], 'y': None}, 'blob': b'\x00\x01\x02'}
BIG = bytes(1024 * 1024)

def measure(name, value, n, unit, factor):
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            pickle.loads(pickle.dumps(value, protocol=4))
        samples.append((time.perf_counter() - t0) / n * factor)
    print(json.dumps({'name': name, 'value': round(statistics.median(samples), 3), 'unit': unit,
                      'min': round(min(samples), 3), 'max': round(max(samples), 3), 'n': reps}), flush=True)

measure('pickle_small_dumps_loads', SMALL, max(1, int(20000 * scale)), 'us', 1e6)
measure('pickle_1mib_bytes_dumps_loads', BIG, max(1, int(200 * scale)), 'ms', 1e3)
