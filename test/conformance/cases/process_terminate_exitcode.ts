// Port of process_terminate_exitcode.py: terminate() -> exitcode -15; kill() -> -9;
// join(0)/join(-1) on a live child return at once.
import mp from "multiprocessing-ts";
import { print, time } from "multiprocessing-ts/py";

export function sleep_forever(started: mp.Event) {
  started.set();
  time.sleep(60);
}

function run(method: "terminate" | "kill") {
  const started = mp.Event();
  const p = new mp.Process({ target: sleep_forever, args: [started], daemon: true });
  p.start();
  started.wait();
  print(`[${method}] alive:`, p.is_alive(), "in active_children:", mp.active_children().includes(p), "exitcode:", p.exitcode);
  const t = time.monotonic();
  print(`[${method}] join(0) returns:`, p.join(0), "still alive:", p.is_alive());
  print(`[${method}] join(-1) returns:`, p.join(-1), "still alive:", p.is_alive());
  print(`[${method}] join(0.1) returns:`, p.join(0.1), "still alive:", p.is_alive());
  print(`[${method}] joins with timeout did not block long:`, time.monotonic() - t < 2);
  print(`[${method}] ${method}() returns:`, p[method]());
  print(`[${method}] join() returns:`, p.join());
  print(`[${method}] exitcode:`, p.exitcode);
  print(`[${method}] alive:`, p.is_alive(), "in active_children:", mp.active_children().includes(p));
  print(`[${method}] ${method}() again on dead process returns:`, p[method]());
  return p.exitcode;
}

function main() {
  print("terminate exitcode == -SIGTERM:", run("terminate") === -15);
  print("kill exitcode == -SIGKILL:", run("kill") === -9);
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
