// Port of barrier_parties.py: parties/n_waiting/broken, wait() returns a distinct index
// 0..parties-1 per pass, processes move in lockstep, Barrier(1) never blocks.
import mp from "multiprocessing-ts";
import { print, repr, time, tuple } from "multiprocessing-ts/py";

const N = 4;
const PASSES = 3;

export function worker(barrier: mp.Barrier, counter: mp.sharedctypes.Synchronized<number>, q: mp.Queue) {
  const indices: number[] = [];
  let lockstep = true;
  for (let i = 0; i < PASSES; i++) {
    counter.get_lock().with(() => {
      counter.value += 1;
    });
    indices.push(barrier.wait());
    if (counter.value !== (i + 1) * N) lockstep = false; // everyone incremented before anyone left
    barrier.wait(); // second wait so nobody races ahead
  }
  q.put(tuple(indices, lockstep));
}

function main() {
  const b = mp.Barrier(N);
  print("repr:", repr(b).replace(/0x[0-9a-f]+/g, "0xADDR"));
  print("parties:", b.parties, "n_waiting:", b.n_waiting, "broken:", b.broken);
  const [counter, q] = [mp.Value("i", 0), mp.Queue()];
  const procs = [1, 2, 3].map(() => new mp.Process({ target: worker, args: [b, counter, q] }));
  for (const p of procs) p.start();
  while (b.n_waiting < N - 1) time.sleep(0.005); // wait until the 3 children block in wait()
  print("n_waiting before parent joins the barrier:", b.n_waiting);
  print("repr with waiters:", repr(b).replace(/0x[0-9a-f]+/g, "0xADDR"));
  worker(b, counter, q); // the parent is the N-th party
  const results = [0, 1, 2, 3].map(() => q.get() as [number[], boolean]);
  for (const p of procs) p.join();
  for (let i = 0; i < PASSES; i++) print(`pass ${i}: sorted wait() results:`, results.map((r) => r[0][i]!).sort());
  print("all in lockstep:", results.every((r) => r[1]));
  print("counter:", counter.value);
  print("after: n_waiting:", b.n_waiting, "broken:", b.broken);
  const one = mp.Barrier(1);
  print("Barrier(1).wait() twice:", one.wait(), one.wait());
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
