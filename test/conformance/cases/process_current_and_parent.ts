// Port of process_current_and_parent.py: current_process()/parent_process() in parent, child and
// grandchild; default names 'Process-N' and 'Process-N:M'; recursive trees complete in order.
import mp from "multiprocessing-ts";
import { print, str, tuple, os } from "multiprocessing-ts/py";

export function node(wconn: mp.Connection, ident: number[], spawner_pid: number | null) {
  const me = mp.current_process();
  const parent = mp.parent_process();
  if (parent === null) {
    wconn.send(tuple(ident, me.name, null, null, null, me.is_alive(), me.daemon, me.exitcode));
  } else {
    wconn.send(tuple(ident, me.name, parent.name, parent.pid === spawner_pid, parent.is_alive(), me.is_alive(), me.daemon, me.exitcode));
  }
  if (ident.length < 2) {
    for (let i = 0; i < 2; i++) {
      const p = new mp.Process({ target: node, args: [wconn, [...ident, i], me.pid] });
      p.start();
      p.join();
    }
  }
}

function main() {
  const me = mp.current_process();
  print("main name:", me.name);
  print("main parent_process():", mp.parent_process());
  print("main is_alive:", me.is_alive(), "daemon:", me.daemon, "exitcode:", me.exitcode);
  print("main ident == os.getpid():", me.ident === os.getpid(), me.pid === os.getpid());
  print("authkey is bytes of len > 0:", Buffer.isBuffer(me.authkey) && me.authkey.length > 0);
  const [r, w] = mp.Pipe(false);
  node(w, [], null); // runs in the main process: sends, then spawns a 2-level tree
  const results: unknown[][] = [];
  while (r.poll()) results.push(r.recv());
  for (const [ident, name, pname, ppid_ok, palive, alive, daemon, exitcode] of results) {
    print(`id=${str(ident)} name=${name} parent=${str(pname)} parent_pid_ok=${str(ppid_ok)} ` +
      `parent_alive=${str(palive)} self_alive=${str(alive)} daemon=${str(daemon)} exitcode=${str(exitcode)}`);
  }
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
