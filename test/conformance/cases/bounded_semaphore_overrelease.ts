// Port of bounded_semaphore_overrelease.py: releasing above the initial value raises
// ValueError and leaves the value unchanged; repr shows value and maxvalue.
import mp from "multiprocessing-ts";
import { print, repr } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function overrelease_in_child(sem: mp.BoundedSemaphore, q: mp.Queue) {
  try {
    sem.release();
    q.put("child over-release: no error");
  } catch (e: any) {
    q.put(`child over-release: ${e.name}: ${e.message}`);
  }
}

function main() {
  const sem = mp.BoundedSemaphore(2);
  show("repr", () => repr(sem));
  show("release() at max", () => sem.release());
  show("get_value", () => sem.get_value());
  show("acquire()", () => sem.acquire());
  show("acquire()", () => sem.acquire());
  show("acquire(False)", () => sem.acquire(false));
  show("repr", () => repr(sem));
  show("release()", () => sem.release());
  show("release()", () => sem.release());
  show("release() again", () => sem.release());
  show("get_value", () => sem.get_value());
  show("repr", () => repr(sem));
  show("BoundedSemaphore() default repr", () => repr(mp.BoundedSemaphore()));
  show("BoundedSemaphore(0) repr", () => repr(mp.BoundedSemaphore(0)));
  show("BoundedSemaphore(0).release()", () => mp.BoundedSemaphore(0).release());
  const q = mp.Queue();
  const p = new mp.Process({ target: overrelease_in_child, args: [sem, q] });
  p.start();
  print(q.get());
  p.join();
  show("get_value after child", () => sem.get_value());
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
