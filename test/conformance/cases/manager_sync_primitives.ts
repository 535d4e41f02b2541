// Port of manager_sync_primitives.py: manager-hosted primitives are threading objects behind
// proxies, so misuse raises the *threading* errors (RuntimeError('release unlocked lock'),
// ValueError('Semaphore released too many times'), ...), unlike multiprocessing.Lock; a manager
// Lock acquired in a child can be released by the parent; manager Queue/JoinableQueue are
// queue.Queue (queue.Empty/Full).
import mp from "multiprocessing-ts";
import { print, repr, str, tuple } from "multiprocessing-ts/py";

/** Python's module of each exception class the script meets. */
const modules: Record<string, string> = { Empty: "queue", Full: "queue", BrokenBarrierError: "threading" };

function show(label: string, fn: () => unknown) {
  try {
    const r = fn();
    print(`${label}: ${repr(r).replace(/0x[0-9a-f]+/g, "0xADDR")}`);
  } catch (e: any) {
    const msg = str(e);
    print(`${label}: ${modules[e.name] ?? "builtins"}.${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function acquire_only(lock: mp.managers.AcquirerProxy) {
  lock.acquire();
}

export function set_event(ev: mp.managers.EventProxy) {
  if (ev.is_set()) throw new Error("assert not ev.is_set()");
  ev.set();
}

export function consume(q: any, out: mp.Queue) {
  out.put(tuple(q.qsize(), q.full(), q.empty(), q.get(), q.get(), q.empty()));
}

function main() {
  mp.Manager().with((m) => {
    const lk = m.Lock();
    show("Lock repr", () => repr(lk));
    show("acquire()", () => lk.acquire());
    show("acquire(False)", () => lk.acquire(false));
    show("acquire(True, 0.05)", () => lk.acquire(true, 0.05));
    show("release()", () => lk.release());
    show("release() unheld", () => lk.release());
    let p = new mp.Process({ target: acquire_only, args: [lk] });
    p.start();
    p.join();
    show("parent releases lock acquired by child", () => lk.release());
    show("release() again", () => lk.release());
    lk.with(() => {
      show("inside with: acquire(False)", () => lk.acquire(false));
    });
    const rl = m.RLock();
    show("RLock release() unheld", () => rl.release());
    show("RLock acquire() x2", () => tuple(rl.acquire(), rl.acquire()));
    show("RLock release() x2", () => tuple(rl.release(), rl.release()));
    const s = m.Semaphore(0);
    show("Semaphore(0) acquire(timeout=0.05)", () => s.acquire({ timeout: 0.05 }));
    show("Semaphore release() x2", () => tuple(s.release(), s.release()));
    const bs = m.BoundedSemaphore(1);
    show("BoundedSemaphore(1) release()", () => bs.release());
    const c = m.Condition();
    show("Condition wait() unheld", () => c.wait(0.01));
    show("Condition notify() unheld", () => c.notify());
    c.with(() => {
      show("Condition wait(0.05)", () => c.wait(0.05));
      show("Condition wait_for(lambda: 7)", () => c.wait_for(() => 7));
    });
    const ev = m.Event();
    show("Event repr", () => repr(ev));
    show("Event wait(0.05)", () => ev.wait(0.05));
    p = new mp.Process({ target: set_event, args: [ev] });
    p.start();
    p.join();
    show("child exitcode", () => p.exitcode);
    show("Event is_set() after child set()", () => ev.is_set());
    const b = m.Barrier(2, { timeout: 0.05 });
    show("Barrier parties, n_waiting, broken", () => tuple(b.parties, b.n_waiting, b.broken));
    show("Barrier lone wait()", () => b.wait());
    show("Barrier broken", () => b.broken);
    const q = m.Queue(2);
    show("Queue repr", () => repr(q));
    q.put(5);
    q.put(6);
    show("Queue put_nowait on full", () => q.put_nowait(7));
    const out = mp.Queue();
    p = new mp.Process({ target: consume, args: [q, out] });
    p.start();
    show("child saw (qsize, full, empty, get, get, empty)", () => out.get());
    p.join();
    show("Queue get(timeout=0.05) empty", () => q.get({ timeout: 0.05 }));
    const jq = m.JoinableQueue();
    show("JoinableQueue task_done() unmatched", () => jq.task_done());
    jq.put("job");
    show("get", () => jq.get());
    show("task_done", () => jq.task_done());
    show("join", () => jq.join());
  });
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
