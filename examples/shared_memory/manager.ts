// Python docs, multiprocessing.shared_memory: SharedMemoryManager, by hand and as a context
// manager (`.with(fn)`) dividing work between two processes through a ShareableList.
import { Process } from "multiprocessing-ts";
import multiprocessing from "multiprocessing-ts";
import { SharedMemory, SharedMemoryManager, type ShareableList } from "multiprocessing-ts/shared_memory";
import { print, range, FileNotFoundError } from "multiprocessing-ts/py";

export function do_work(sl: ShareableList<number>, start: number, stop: number) {
  for (const i of range(start, stop)) sl[i] = i * i;
}

if (multiprocessing.is_main(import.meta)) {
  const smm = new SharedMemoryManager();
  smm.start(); // Start the process that manages the shared memory blocks
  let sl = smm.ShareableList(range(4));
  print([...sl]);
  const raw_shm = smm.SharedMemory({ size: 128 });
  const another_sl = smm.ShareableList("alpha");
  print([...another_sl]);
  const held = sl.shm.name;
  smm.shutdown(); // Calls unlink() on sl, raw_shm, and another_sl
  try {
    new SharedMemory(held);
  } catch (e) {
    if (e instanceof FileNotFoundError) print("after shutdown:", e.name);
  }
  void raw_shm;

  const total_result = new SharedMemoryManager().with((smm) => {
    sl = smm.ShareableList(range(2000));
    // Divide the work among two processes, storing partial results in sl
    const p1 = new Process({ target: do_work, args: [sl, 0, 1000] });
    const p2 = new Process({ target: do_work, args: [sl, 1000, 2000] });
    p1.start();
    p2.start(); // A multiprocessing.Pool might be more efficient
    p1.join();
    p2.join(); // Wait for all work to complete in both processes
    let total = 0;
    for (const x of sl) total += x; // Consolidate the partial results now in sl
    return total;
  });
  print(total_result);
}
