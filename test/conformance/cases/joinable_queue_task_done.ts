// Port of joinable_queue_task_done.py: join() returns once every put() item got a task_done();
// an extra task_done() raises ValueError; join() with no unfinished tasks returns at once.
import mp from "multiprocessing-ts";
import { print, repr, range, time } from "multiprocessing-ts/py";

export function worker(q: mp.JoinableQueue<number | null>, processed: mp.sharedctypes.Synchronized<number>) {
  for (let obj = q.get(); obj !== null; obj = q.get()) {
    time.sleep(0.01);
    processed.get_lock().with(() => {
      processed.value += obj!;
    });
    q.task_done();
  }
}

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

function main() {
  const q = mp.JoinableQueue();
  show("task_done() on fresh queue", () => q.task_done());
  const t = time.monotonic();
  show("join() with nothing pending", () => q.join());
  print("  returned at once:", time.monotonic() - t < 1);
  const processed = mp.Value("i", 0);
  const workers = [...range(4)].map(() => new mp.Process({ target: worker, args: [q, processed], daemon: true }));
  for (const p of workers) p.start();
  for (const i of range(1, 11)) q.put(i);
  show("join()", () => q.join());
  print("sum processed when join() returned:", processed.value);
  for (const _ of workers) q.put(null);
  for (const p of workers) p.join();
  print("worker exitcodes:", workers.map((p) => p.exitcode));
  const q2 = mp.JoinableQueue();
  q2.put("a");
  q2.put("b");
  print("get:", q2.get(), "task_done:", q2.task_done());
  print("get:", q2.get(), "task_done:", q2.task_done());
  show("join()", () => q2.join());
  show("task_done() once more", () => q2.task_done());
  show("qsize()", () => q2.qsize());
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
