// Port of python/docs_exchanging_objects.py: Python docs, multiprocessing, "Exchanging objects
// between processes" (https://docs.python.org/3/library/multiprocessing.html#exchanging-objects-between-processes).
import { Process, Queue, Pipe } from "multiprocessing-ts";
import mp from "multiprocessing-ts";
import { print } from "multiprocessing-ts/py";

export function f(q: mp.Queue) {
  q.put([42, null, "hello"]);
}

export function g(conn: mp.Connection) {
  conn.send([42, null, "hello"]);
  conn.close();
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const q = Queue();
  let p = new Process({ target: f, args: [q] });
  p.start();
  print(q.get()); // prints "[42, None, 'hello']"
  p.join();

  const [parent_conn, child_conn] = Pipe();
  p = new Process({ target: g, args: [child_conn] });
  p.start();
  print(parent_conn.recv()); // prints "[42, None, 'hello']"
  p.join();
}
