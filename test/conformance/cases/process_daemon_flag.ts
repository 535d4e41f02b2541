// Port of process_daemon_flag.py: daemon flag default, constructor, attribute before start(),
// AssertionError after start(); a daemonic process may not create children.
import mp from "multiprocessing-ts";
import { print, repr, time, tuple } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function try_to_spawn(q: mp.Queue) {
  q.put(tuple("my daemon flag", mp.current_process().daemon));
  try {
    const c = new mp.Process({ target: time.sleep, args: [0] });
    q.put(tuple("Process() construction", "ok"));
    c.start();
    c.join();
    q.put(tuple("start()", "ok"));
  } catch (e: any) {
    q.put(tuple("start()", `${e.name}: ${e.message}`));
  }
}

function main() {
  show("default daemon", () => new mp.Process().daemon);
  show("daemon=True", () => new mp.Process({ daemon: true }).daemon);
  show("daemon=False", () => new mp.Process({ daemon: false }).daemon);
  const q = mp.Queue();
  const p = new mp.Process({ target: try_to_spawn, args: [q] });
  p.daemon = true;
  p.start();
  show("set daemon after start", () => { p.daemon = false; return null; });
  for (let i = 0; i < 3; i++) print("daemonic child:", q.get());
  p.join();
  show("daemonic child exitcode", () => p.exitcode);
  const p2 = new mp.Process({ target: try_to_spawn, args: [q], daemon: false });
  p2.start();
  for (let i = 0; i < 3; i++) print("non-daemonic child:", q.get());
  p2.join();
  show("non-daemonic child exitcode", () => p2.exitcode);
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
