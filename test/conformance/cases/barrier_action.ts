// Port of barrier_action.py: the action runs once per pass, in one of the waiting processes,
// before any party is released; if it raises, that party gets the exception and the others get
// BrokenBarrierError.
import mp from "multiprocessing-ts";
import { print, RuntimeError } from "multiprocessing-ts/py";

export class Increment {
  constructor(public v: mp.sharedctypes.Synchronized<number>) {}
  __call__() {
    this.v.get_lock().with(() => {
      this.v.value += 1;
    });
  }
}

export class Explode {
  __call__() {
    throw new RuntimeError("action failed");
  }
}

export function party(b: mp.Barrier, v: mp.sharedctypes.Synchronized<number>, q: mp.Queue, passes: number) {
  const seen: number[] = [];
  for (let i = 0; i < passes; i++) {
    b.wait();
    seen.push(v.value);
  }
  q.put(seen);
}

export function party_catching(b: mp.Barrier, q: mp.Queue) {
  try {
    b.wait();
    q.put("passed");
  } catch (e) {
    if (e instanceof mp.BrokenBarrierError) q.put("BrokenBarrierError");
    else if (e instanceof RuntimeError) q.put(`RuntimeError: ${e.message}`);
    else throw e;
  }
}

function main() {
  const [v, q] = [mp.Value("i", 0), mp.Queue()];
  const b = mp.Barrier(3, new Increment(v));
  const procs = [0, 1].map(() => new mp.Process({ target: party, args: [b, v, q, 2] }));
  for (const p of procs) p.start();
  party(b, v, q, 2);
  for (const p of procs) p.join();
  print("value seen after each pass, per party:", [q.get(), q.get(), q.get()].sort());
  print("action ran", v.value, "times for 2 passes");

  const b2 = mp.Barrier(2, new Explode());
  const p = new mp.Process({ target: party_catching, args: [b2, q] });
  p.start();
  party_catching(b2, q);
  p.join();
  print("outcomes when the action raises:", [q.get(), q.get()].sort());
  print("barrier broken afterwards:", b2.broken);
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
