// Port of queue_put_full.py: bounded Queue(maxsize): full()/qsize() follow put() at once; put on
// a full queue raises Full (at once when non-blocking, after the timeout otherwise); a child
// draining the queue makes room.
import mp from "multiprocessing-ts";
import { print, repr, range, time } from "multiprocessing-ts/py";

const MAXSIZE = 6;

export function drain(q: mp.Queue, can_start: mp.Event, done: mp.Event) {
  can_start.wait();
  for (const _ of range(MAXSIZE)) q.get();
  done.set();
}

function attempt(label: string, fn: () => unknown, lo: number, hi: number) {
  const t = time.monotonic();
  let outcome: string;
  try {
    fn();
    outcome = "no error";
  } catch (e: any) {
    if (!(e instanceof mp.queues.Full)) throw e;
    outcome = `queue.Full (type is queue.Full: ${e.constructor === mp.queues.Full ? "True" : "False"}, str: ${repr(String(e.message))})`;
  }
  const dt = time.monotonic() - t;
  print(`${label}: ${outcome}; timing ok: ${lo <= dt && dt < hi ? "True" : "False"}`);
}

function main() {
  const q = mp.Queue(MAXSIZE);
  const [can_start, done] = [mp.Event(), mp.Event()];
  const p = new mp.Process({ target: drain, args: [q, can_start, done] });
  p.start();
  print("empty:", q.empty(), "full:", q.full(), "qsize:", q.qsize());
  q.put(1);
  q.put(2, true);
  q.put(3, true, null);
  q.put(4, false);
  q.put(5, false, null);
  q.put_nowait(6);
  print("after 6 puts: full:", q.full(), "qsize:", q.qsize());
  attempt("put(7, False)", () => q.put(7, false), 0, 0.5);
  attempt("put(7, False, None)", () => q.put(7, false, null), 0, 0.5);
  attempt("put_nowait(7)", () => q.put_nowait(7), 0, 0.5);
  attempt("put(7, True, 0.1)", () => q.put(7, true, 0.1), 0.08, 3);
  attempt("put(7, False, 0.5)", () => q.put(7, false, 0.5), 0, 0.4);
  attempt("put(7, timeout=0.2)", () => q.put(7, { timeout: 0.2 }), 0.15, 3);
  can_start.set();
  done.wait();
  print("after child drained: empty:", q.empty(), "full:", q.full(), "qsize:", q.qsize());
  p.join();
  q.put("x", { timeout: 1 });
  print("put after drain ok, get:", q.get());
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
