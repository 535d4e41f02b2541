// Port of process_subclass_run.py: subclassing Process and overriding run(); the subclass
// instance (with its Pipe ends) is transferred to the child.
import mp from "multiprocessing-ts";
import { print, tuple } from "multiprocessing-ts/py";

export class UpperCaser extends mp.Process {
  child_conn: mp.Connection;
  parent_conn: mp.Connection;
  constructor() {
    super();
    [this.child_conn, this.parent_conn] = mp.Pipe();
  }

  override run() {
    this.parent_conn.close();
    for (let s = this.child_conn.recv(); s !== null; s = this.child_conn.recv()) {
      this.child_conn.send(s.toUpperCase());
    }
    this.child_conn.close();
  }

  submit(s: string) {
    this.parent_conn.send(s);
    return this.parent_conn.recv();
  }

  stop() {
    this.parent_conn.send(null);
    this.parent_conn.close();
    this.child_conn.close();
  }
}

/** run() override that ignores target and reports through a queue. */
export class Squarer extends mp.Process {
  constructor(public q: mp.Queue, public n: number) {
    super({ name: `Squarer-${n}` });
  }

  override run() {
    this.q.put(tuple(mp.current_process().name, this.n * this.n, mp.current_process().constructor.name));
  }
}

function main() {
  const u = new UpperCaser();
  u.daemon = true;
  u.start();
  print(u.submit("hello"));
  print(u.submit("world"));
  u.stop();
  u.join();
  print("UpperCaser exitcode:", u.exitcode);
  const q = mp.Queue();
  const s = new Squarer(q, 7);
  s.start();
  print("Squarer reports:", q.get());
  s.join();
  print("Squarer exitcode:", s.exitcode);
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
