// Port of conformance/python/process_lifecycle_basic.py: args/kwargs/name reach the child;
// is_alive/exitcode/active_children before, during and after the run.
import mp from "multiprocessing-ts";
import { print, repr, tuple, os } from "multiprocessing-ts/py";

export function target(q: mp.Queue, ...rest: unknown[]) {
  const kwds = rest.pop();
  const cur = mp.current_process();
  q.put(tuple(...rest));
  q.put(kwds);
  q.put(cur.name);
  q.put(cur.authkey);
  q.put(cur.pid);
}

function main() {
  const q = mp.Queue(1); // maxsize 1: the child blocks on put until we get()
  const p = new mp.Process({ target, args: [q, 1, 2], kwargs: { hello: 23, bye: 2.54 }, name: "SomeProcess" });
  p.daemon = true;
  const me = mp.current_process();
  print("name:", p.name);
  print("daemon:", p.daemon);
  print("authkey inherited:", p.authkey.equals(me.authkey));
  print("before start: is_alive", p.is_alive(), "exitcode", p.exitcode, "pid", p.pid);
  print("before start: in active_children", mp.active_children().includes(p));
  print("active_children() type:", Array.isArray(mp.active_children()) ? "list" : "?");
  p.start();
  print("after start: is_alive", p.is_alive(), "exitcode", p.exitcode);
  print("after start: in active_children", mp.active_children().includes(p));
  print("pid is int:", Number.isInteger(p.pid), "ident == pid:", p.ident === p.pid);
  print("child args:", q.get());
  print("child kwargs:", q.get());
  print("child name:", q.get());
  print("child authkey == parent authkey:", (q.get() as Buffer).equals(me.authkey));
  print("child pid == p.pid:", q.get() === p.pid);
  print("join returns:", p.join());
  print("after join: is_alive", p.is_alive(), "exitcode", p.exitcode);
  print("after join: in active_children", mp.active_children().includes(p));
  print("join again returns:", p.join());
  void repr; void os;
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
