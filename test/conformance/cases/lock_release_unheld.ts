// Port of lock_release_unheld.py: releasing a Lock that is not held raises
// ValueError('semaphore or lock released too many times'), not RuntimeError.
import mp from "multiprocessing-ts";
import { print, ValueError, RuntimeError } from "multiprocessing-ts/py";

export function release_in_child(lock: mp.Lock, q: mp.Queue) {
  try {
    lock.release();
    q.put("released");
  } catch (e: any) {
    q.put(`${e.name}: ${e.message}`);
  }
}

function main() {
  const lock = mp.Lock();
  for (const label of ["fresh lock", "after acquire+release"]) {
    try {
      lock.release();
      print(label, "-> no error");
    } catch (e: any) {
      print(`${label}: ${e.name}: ${e.message}`);
      print("  is ValueError:", e instanceof ValueError, "is RuntimeError:", e instanceof RuntimeError);
    }
    lock.acquire();
    lock.release();
  }
  const q = mp.Queue();
  const p = new mp.Process({ target: release_in_child, args: [lock, q] });
  p.start();
  print("child releasing an unheld lock:", q.get());
  p.join();
  print("lock still usable:", lock.acquire(false));
  lock.release();
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
