// Seed "13.1 ...", the event section: set(), is_set(), wait() with and without a timeout, clear().
import multiprocessing from "multiprocessing-ts";
import { print, str, time } from "multiprocessing-ts/py";

export function wait_for_event(e: multiprocessing.Event) {
  print("wait_for_event: starting");
  e.wait();
  print("wait_for_event: e.is_set()->" + str(e.is_set()));
}

export function wait_for_event_timeout(e: multiprocessing.Event, t: number) {
  print("wait_for_event_timeout: starting");
  e.wait(t);
  print("wait_for_event_timeout: e.is_set()->" + str(e.is_set()));
}

if (multiprocessing.is_main(import.meta)) {
  const e = multiprocessing.Event();
  const w1 = new multiprocessing.Process({ name: "block", target: wait_for_event, args: [e] });
  const w2 = new multiprocessing.Process({ name: "non-block", target: wait_for_event_timeout, args: [e, 2] });
  w1.start();
  w2.start();
  time.sleep(3);
  e.set();
  print("main: event is set");
  e.clear();
  print("main: event is cleared, is_set() ->", e.is_set());
}
