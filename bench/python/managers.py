"""CPython's Manager, the operations of bench/managers.mjs: `d[k] = v; d[k]` pairs from a child,
`l.append(i)` and `ns.x += 1` from the main process. Prints one JSON object per line."""
import json
import multiprocessing as mp
import sys
import time


def pairs(d, n, out):
    d['k'] = 0
    for i in range(1000):
        d['k'] = i
        d['k']
    t0 = time.perf_counter()
    for i in range(n):
        d['k'] = i
        d['k']
    out.send(n / (time.perf_counter() - t0))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    method = sys.argv[2] if len(sys.argv) > 2 else 'spawn'
    ctx = mp.get_context(method)
    with ctx.Manager() as m:
        d = m.dict()
        r, w = ctx.Pipe(False)
        p = ctx.Process(target=pairs, args=(d, n, w))
        p.start()
        rate = r.recv()
        p.join()
        print(json.dumps({"name": "manager_dict_pairs_from_child", "value": round(rate), "unit": "pairs/s"}))
        lst = m.list()
        for i in range(1000):
            lst.append(i)
        t0 = time.perf_counter()
        for i in range(n):
            lst.append(i)
        print(json.dumps({"name": "manager_list_append", "value": round(n / (time.perf_counter() - t0)), "unit": "calls/s"}))
        ns = m.Namespace(x=0)
        for i in range(1000):
            ns.x += 1
        ns.x = 0
        t0 = time.perf_counter()
        for i in range(n):
            ns.x += 1
        assert ns.x == n
        print(json.dumps({"name": "manager_namespace_incr", "value": round(n / (time.perf_counter() - t0)), "unit": "incr/s"}))


if __name__ == '__main__':
    main()
