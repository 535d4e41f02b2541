// Port of python/unguarded_script.py: Python docs, multiprocessing, "Safe importing of main
// module" (https://docs.python.org/3/library/multiprocessing.html#multiprocessing-safe-main-import):
// the unsafe program, without the is_main guard. The child that re-imports it raises CPython's
// bootstrapping RuntimeError (on stderr) and exits 1; the parent goes on. Never a runaway tree.
import mp from "multiprocessing-ts";
import { print, __name__ } from "multiprocessing-ts/py";

const ctx = mp.get_context("spawn");

export function foo() {
  print("hello");
}

print("top level, __name__ =", __name__(import.meta));
const p = new ctx.Process({ target: foo });
p.start();
p.join();
print("exitcode", p.exitcode);
