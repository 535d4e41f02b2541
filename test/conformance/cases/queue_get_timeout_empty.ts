// Port of queue_get_timeout_empty.py: get(false)/get_nowait() raise Empty at once, get(true, t)
// raises Empty after about t seconds, get(false, t) ignores t; Empty has no message; a later
// put from a child satisfies a blocking get.
import mp from "multiprocessing-ts";
import { print, repr, time } from "multiprocessing-ts/py";

function attempt(label: string, fn: () => unknown): [string, string, number] {
  const t = time.monotonic();
  let outcome: string;
  try {
    const r = fn();
    outcome = `returned ${repr(r)}`;
  } catch (e: any) {
    if (!(e instanceof mp.queues.Empty)) throw e;
    outcome = `queue.Empty (type is queue.Empty: ${e.constructor === mp.queues.Empty ? "True" : "False"}, str: ${repr(String(e.message))})`;
  }
  return [label, outcome, time.monotonic() - t];
}

export function late_put(q: mp.Queue) {
  time.sleep(0.1);
  q.put("late item");
}

function main() {
  const q = mp.Queue();
  for (const [label, fn, lo, hi] of [
    ["get(False)", () => q.get(false), 0, 0.5],
    ["get(False, None)", () => q.get(false, null), 0, 0.5],
    ["get_nowait()", () => q.get_nowait(), 0, 0.5],
    ["get(False, 0.5)", () => q.get(false, 0.5), 0, 0.4],
    ["get(True, 0.1)", () => q.get(true, 0.1), 0.08, 3],
    ["get(timeout=0.2)", () => q.get({ timeout: 0.2 }), 0.15, 3],
    ["get(True, 0)", () => q.get(true, 0), 0, 0.5],
    ["get(timeout=-1)", () => q.get({ timeout: -1 }), 0, 0.5],
  ] as const) {
    const [, outcome, dt] = attempt(label, fn);
    print(`${label}: ${outcome}; timing ok: ${lo <= dt && dt < hi ? "True" : "False"}`);
  }
  print("empty():", q.empty(), "qsize():", q.qsize());
  const p = new mp.Process({ target: late_put, args: [q] });
  p.start();
  print(attempt("get(timeout=5) with a late put from a child", () => q.get({ timeout: 5 }))[1]);
  p.join();
  print("is mp.queues.Empty the stdlib class:", mp.queues.Empty === mp.Empty);
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
