// Port of python/docs_get_context_queue.py: Python docs, multiprocessing, "Contexts and start
// methods" (https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods).
import mp from "multiprocessing-ts";
import { print } from "multiprocessing-ts/py";

export function foo(q: mp.Queue) {
  q.put("hello");
}

if (mp.is_main(import.meta)) {
  const ctx = mp.get_context("spawn");
  const q = ctx.Queue();
  const p = new ctx.Process({ target: foo, args: [q] });
  p.start();
  print(q.get());
  p.join();
}
