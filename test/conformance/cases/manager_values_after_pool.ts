// Port of manager_values_after_pool.py: a Pool made before a Manager uses the manager's
// proxies; manager dicts hash float keys as Python does (2.0 == 2 is one key, the first spelling
// kept); list() and extend() of a dict take its keys; manager arrays of 'u' and 'd' show as
// array.array does; a Queue subclass's _on_queue_feeder_error hook gets an item that cannot be
// pickled, and the queue goes on.
import mp from "multiprocessing-ts";
import * as queues from "multiprocessing-ts/queues";
import { float, len, print, str, tuple } from "multiprocessing-ts/py";

export function abs(x: number): number {
  return Math.abs(x);
}

export function store([d, i]: [mp.managers.DictProxy, number]): number {
  d.__setitem__(i, i * i);
  return i;
}

class NotPicklable {
  __reduce__(): never {
    throw new mp.py.AttributeError("no pickling");
  }
}

class SafeQueue extends queues.Queue {
  static override _on_queue_feeder_error(e: any, obj: any): void {
    print("hook:", e.name, str(e), obj.constructor.name);
  }
}

function main() {
  mp.Pool(2).with((pool) => {
    print(pool.map(abs, [-1, -2]));
    mp.Manager().with((m) => {
      const d = m.dict();
      print(pool.map(store, [tuple(d, 1), tuple(d, 2), tuple(d, 3)], 1));
      print(d.items().sort((a: number[], b: number[]) => a[0]! - b[0]!));
      const f = m.dict();
      f.__setitem__(0.25, "a");
      f.__setitem__(float(2), "b");
      f.__setitem__(1, "one");
      f.__setitem__(float(1), "uno");
      print(f, f.__getitem__(2), f.__getitem__(0.25), len(f));
      print(m.list({ a: 1, b: 2 }), m.list("xy"));
      const l = m.list([1]);
      l.extend({ k: 0 });
      l.__iadd__({ j: 0 });
      print(l);
      print(m.Array("u", "a\u00e9").slice(), m.Array("d", [0.5, 2]).slice());
    });
  });
  const q = new SafeQueue();
  q.put(new NotPicklable());
  q.put(true);
  print("get:", q.get({ timeout: 5 }));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
