// Port of python/docs_connection_wait.py: Python docs, multiprocessing, "Connection Objects", the
// example of multiprocessing.connection.wait()
// (https://docs.python.org/3/library/multiprocessing.html#multiprocessing.connection.wait):
// readers of several one-way pipes; each writer's end is closed in the parent after start(), so
// the reader sees EOF once the child closes its copy.
import { Process, Pipe, current_process } from "multiprocessing-ts";
import { wait } from "multiprocessing-ts/connection";
import mp from "multiprocessing-ts";
import { EOFError, print, range, tuple } from "multiprocessing-ts/py";

export function foo(w: mp.Connection) {
  for (const i of range(10)) {
    w.send(tuple(i, current_process().name));
  }
  w.close();
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const readers: mp.Connection[] = [];
  let eofs = 0;
  const msgs: [number, string][] = [];

  for (const _ of range(4)) {
    const [r, w] = Pipe(false);
    readers.push(r);
    const p = new Process({ target: foo, args: [w] });
    p.start();
    // We close the writable end of the pipe now to be sure that
    // p is the only process which owns a handle for it.  This
    // ensures that when p closes its handle for the writable end,
    // wait() will promptly report the readable end as being ready.
    w.close();
  }

  while (readers.length) {
    for (const r of wait(readers) as mp.Connection[]) {
      try {
        const msg = r.recv() as [number, string];
        msgs.push(msg);
      } catch (e) {
        if (!(e instanceof EOFError)) throw e;
        readers.splice(readers.indexOf(r), 1);
        eofs += 1;
      }
    }
  }

  msgs.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] - b[0]));
  for (const msg of msgs) print(msg);
  print("EOFs:", eofs);
}
