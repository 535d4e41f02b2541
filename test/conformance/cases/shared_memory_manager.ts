// Port of shared_memory_manager.py: segments created through a started SharedMemoryManager can
// be attached by name elsewhere and are unlinked when the manager shuts down (or its `with`
// block ends); using it before start() fails with ValueError.
import { constants } from "node:os";
import mp from "multiprocessing-ts";
import { print, repr, range, len, tuple, OSError } from "multiprocessing-ts/py";
import { ShareableList, SharedMemory, SharedMemoryManager } from "multiprocessing-ts/shared_memory";

const errorcode = (n: number | null) => Object.entries(constants.errno).find(([, v]) => v === n)?.[0];

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    if (e instanceof OSError) {
      print(`${label}: ${e.name} errno=${errorcode(e.errno)}`);
      return;
    }
    print(`${label}: ${e.name}`);
  }
}

export function child(name: string, q: mp.Queue) {
  const sl = new ShareableList(null, { name });
  q.put([...sl]);
  sl[0] = -1;
  sl.shm.close();
}

function main() {
  const smm = new SharedMemoryManager();
  show("SharedMemory(size=9) before start()", () => smm.SharedMemory({ size: 9 }));
  smm.start();
  const lol = [...range(5, 10)].map((i) => smm.ShareableList(range(i)));
  const lom = [...range(32, 128, 16)].map((j) => smm.SharedMemory({ size: j }));
  show("ShareableList lengths", () => lol.map((x) => len(x)));
  show("SharedMemory sizes", () => lom.map((x) => x.size));
  show("types", () => tuple(lol[0]!.constructor.name, lom[0]!.constructor.name));
  const twin = new ShareableList(null, { name: lol[0]!.shm.name });
  show("attached twin len", () => len(twin));
  const q = mp.Queue();
  const p = new mp.Process({ target: child, args: [lol[0]!.shm.name, q] });
  p.start();
  show("child read", () => q.get());
  p.join();
  show("child's write visible", () => tuple(lol[0]![0], twin[0]));
  twin.shm.close();
  const held = lom[0]!.name;
  smm.shutdown();
  show("attach after shutdown", () => new SharedMemory({ name: held }));
  let held_sl = "";
  let held_shm = "";
  new SharedMemoryManager().with((smm2) => {
    const sl = smm2.ShareableList("howdy");
    const shm = smm2.SharedMemory({ size: 128 });
    show("ShareableList('howdy')", () => [...sl]);
    [held_sl, held_shm] = [sl.shm.name, shm.name];
  });
  show("ShareableList after with", () => new ShareableList(null, { name: held_sl }));
  show("SharedMemory after with", () => new SharedMemory({ name: held_shm }));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
