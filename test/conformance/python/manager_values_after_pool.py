"""A Pool made before a Manager uses the manager's proxies; manager dicts hash float keys as
Python does (2.0 == 2 is one key, the first spelling kept); list() and extend() of a dict take
its keys; manager arrays of 'u' and 'd' show as array.array does; a Queue subclass's
_on_queue_feeder_error hook gets an item that cannot be pickled, and the queue goes on."""
import multiprocessing as mp
import multiprocessing.queues
import os


def store(pair):
    d, i = pair
    d[i] = i * i
    return i


class NotPicklable:
    def __reduce__(self):
        raise AttributeError("no pickling")


class SafeQueue(multiprocessing.queues.Queue):
    @staticmethod
    def _on_queue_feeder_error(e, obj):
        print("hook:", type(e).__name__, e, type(obj).__name__)


def main():
    with mp.Pool(2) as pool:
        print(pool.map(abs, [-1, -2]))
        with mp.Manager() as m:
            d = m.dict()
            print(pool.map(store, [(d, 1), (d, 2), (d, 3)], 1))
            print(sorted(d.items()))
            f = m.dict()
            f[0.25] = 'a'
            f[2.0] = 'b'
            f[1] = 'one'
            f[1.0] = 'uno'
            print(f, f[2], f[0.25], len(f))
            print(m.list({'a': 1, 'b': 2}), m.list('xy'))
            l = m.list([1])
            l.extend({'k': 0})
            l += {'j': 0}
            print(l)
            print(m.Array('u', 'a\u00e9')[:], m.Array('d', [0.5, 2])[:])
    q = SafeQueue(ctx=mp.get_context())
    q.put(NotPicklable())
    q.put(True)
    print("get:", q.get(timeout=5))


if __name__ == '__main__':
    if os.environ.get('MP_START_METHOD'):
        mp.set_start_method(os.environ['MP_START_METHOD'])
    main()
