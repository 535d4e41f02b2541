// Port of python/docs_manager_server_process.py: Python docs, multiprocessing, "Sharing state
// between processes", "Server process"
// (https://docs.python.org/3/library/multiprocessing.html#sharing-state-between-processes).
// `d[1] = '1'` with a non-string key is `d.__setitem__(1, '1')` (a DictProxy takes string keys
// as properties, any key through __setitem__).
import { Process, Manager } from "multiprocessing-ts";
import mp from "multiprocessing-ts";
import type { DictProxy, ListProxy } from "multiprocessing-ts/managers";
import { print, range } from "multiprocessing-ts/py";

export function f(d: DictProxy, l: ListProxy) {
  d.__setitem__(1, "1");
  d["2"] = 2;
  d.__setitem__(0.25, null);
  l.reverse();
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  Manager().with((manager) => {
    const d = manager.dict();
    const l = manager.list(range(10));

    const p = new Process({ target: f, args: [d, l] });
    p.start();
    p.join();

    print(d);
    print(l);
  });
}
