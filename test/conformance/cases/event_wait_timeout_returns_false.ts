// Port of event_wait_timeout_returns_false.py: Event.wait(timeout) returns false on timeout and
// true once set (never None); is_set/set/clear; repr '<Event at 0x... set|unset>'.
import mp from "multiprocessing-ts";
import { print, repr, time } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

function main() {
  const e = mp.Event();
  show("repr", () => repr(e).replace(/0x[0-9a-f]+/g, "0xADDR"));
  show("is_set()", () => e.is_set());
  let t = time.monotonic();
  show("wait(0.0)", () => e.wait(0.0));
  show("wait(-1)", () => e.wait(-1));
  show("  returned at once", () => time.monotonic() - t < 0.5);
  t = time.monotonic();
  show("wait(0.1)", () => e.wait(0.1));
  show("  waited about 0.1s", () => 0.08 <= time.monotonic() - t && time.monotonic() - t < 3);
  show("set()", () => e.set());
  show("set() again", () => e.set());
  show("is_set()", () => e.is_set());
  show("repr", () => repr(e).replace(/0x[0-9a-f]+/g, "0xADDR"));
  t = time.monotonic();
  show("wait()", () => e.wait());
  show("wait(0.1)", () => e.wait(0.1));
  show("wait(None)", () => e.wait(null));
  show("  returned at once", () => time.monotonic() - t < 0.5);
  show("clear()", () => e.clear());
  show("clear() again", () => e.clear());
  show("is_set()", () => e.is_set());
  show("wait(0.05)", () => e.wait(0.05));
  show("repr", () => repr(e).replace(/0x[0-9a-f]+/g, "0xADDR"));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
