// Port of rlock_reentrant.py: re-entrant acquire/release with the recursion count in repr;
// releasing an RLock you do not own raises AssertionError; others cannot take it.
// There are no threads inside a process here, so the "other thread" of the Python script is
// another process that reports through a pipe: the same ownership rules apply.
import mp from "multiprocessing-ts";
import { print, repr, tuple } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function child(r: mp.RLock, q: mp.Queue, parent_released: mp.Event) {
  q.put(tuple("child acquire(timeout=0.1) while parent holds", r.acquire({ timeout: 0.1 })));
  q.put(tuple("child repr while parent holds", repr(r)));
  try {
    r.release();
    q.put(tuple("child release() of parent-held RLock", "ok"));
  } catch (e: any) {
    q.put(tuple("child release() of parent-held RLock", `${e.name}: ${e.message}`));
  }
  parent_released.wait();
  r.acquire();
  r.acquire();
  q.put(tuple("child repr after acquiring twice", repr(r)));
  r.release();
  r.release();
}

export function other_thread(r: mp.RLock, out: mp.Connection) {
  out.send(tuple("thread acquire(False)", r.acquire(false)));
  try {
    r.release();
    out.send(tuple("thread release()", "ok"));
  } catch (e: any) {
    out.send(tuple("thread release()", `${e.name}: ${e.message}`));
  }
  out.close();
}

function main() {
  const r = mp.RLock();
  show("repr", () => repr(r));
  show("acquire() x3", () => tuple(r.acquire(), r.acquire(), r.acquire()));
  show("repr", () => repr(r));
  show("acquire(False) by owner", () => r.acquire(false));
  show("release() x4", () => tuple(r.release(), r.release(), r.release(), r.release()));
  show("repr", () => repr(r));
  show("release() unowned", () => r.release());
  r.with(() => r.with(() => show("repr in nested with", () => repr(r))));
  show("repr after with", () => repr(r));

  r.acquire();
  const [recv, send] = mp.Pipe(false);
  const t = new mp.Process({ target: other_thread, args: [r, send] });
  t.start();
  send.close();
  t.join();
  for (;;) {
    let item: unknown;
    try {
      item = recv.recv();
    } catch {
      break;
    }
    print(item);
  }

  const q = mp.Queue();
  const parent_released = mp.Event();
  const p = new mp.Process({ target: child, args: [r, q, parent_released], name: "Child" });
  p.start();
  for (let i = 0; i < 3; i++) print(q.get());
  r.release();
  parent_released.set();
  print(q.get());
  p.join();
  show("repr at end", () => repr(r));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
