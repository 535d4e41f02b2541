// "Server process" from Python's multiprocessing docs (Sharing state between processes), line for
// line: a Manager's dict and list, changed by a child, printed by the parent.
// Run: node --import tsx examples/managers/server_process.ts
import { Process, Manager, is_main, type managers } from "multiprocessing-ts";
import { print, range } from "multiprocessing-ts/py";

export function f(d: managers.DictProxy, l: managers.ListProxy) {
  d.__setitem__(1, "1");
  d["2"] = 2;
  d.__setitem__(0.25, null);
  l.reverse();
}

if (is_main(import.meta)) {
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
