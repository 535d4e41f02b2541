// Port of queue_fifo_order.py: FIFO per producer; with several producers each producer's items
// stay ordered; qsize() tracks put/get at once; a child can use a queue the parent put into.
import mp from "multiprocessing-ts";
import { print, range, tuple } from "multiprocessing-ts/py";

export function put_range(q: mp.Queue, lo: number, hi: number) {
  for (const i of range(lo, hi)) q.put(i);
}

export function producer(q: mp.Queue, tag: string, n: number) {
  for (const i of range(n)) q.put(tuple(tag, i));
}

const eq = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function main() {
  const q = mp.Queue();
  print("qsize empty:", q.qsize());
  q.put(1);
  print("qsize after put:", q.qsize());
  q.put(5);
  print("qsize after 2 puts:", q.qsize());
  print("get:", q.get(), "qsize:", q.qsize());
  print("get:", q.get(), "qsize:", q.qsize());

  for (const i of range(10)) q.put(i);
  const p = new mp.Process({ target: put_range, args: [q, 10, 20] });
  p.start();
  const got = [...range(20)].map(() => q.get() as number);
  p.join();
  print("parent items in order:", eq(got.filter((x) => x < 10), [...range(10)]));
  print("child items in order:", eq(got.filter((x) => x >= 10), [...range(10, 20)]));
  print("all 20 received:", eq([...got].sort((a, b) => a - b), [...range(20)]));
  try {
    q.get(false);
    print("get(False) on drained queue: got an item");
  } catch (e) {
    if (!(e instanceof mp.queues.Empty)) throw e;
    print("get(False) on drained queue: queue.Empty");
  }

  const procs = [..."abc"].map((tag) => new mp.Process({ target: producer, args: [q, tag, 25] }));
  for (const p of procs) p.start();
  const items = [...range(75)].map(() => q.get() as [string, number]);
  for (const p of procs) p.join();
  for (const tag of "abc") {
    const seq = items.filter(([t]) => t === tag).map(([, i]) => i);
    print(`producer ${tag}: ${seq.length} items, in order: ${eq(seq, [...range(25)]) ? "True" : "False"}`);
  }
  for (const obj of [null, 0, "", tuple(1, "two", 3.0), { k: [1, 2] }, Buffer.from([0x00, 0xff]), 2n ** 70n]) q.put(obj);
  print("round-trip of mixed objects:", [...range(7)].map(() => q.get()));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
