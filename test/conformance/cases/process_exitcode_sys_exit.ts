// Port of process_exitcode_sys_exit.py: sys.exit(arg) in the child maps to the exit code: int ->
// itself, null -> 0, true -> 1, false -> 0, anything else -> 1 with str(arg) on stderr.
import mp from "multiprocessing-ts";
import { print, repr, sys, type TextStream } from "multiprocessing-ts/py";

/** Collects what the child writes to stderr; flush() ships it to the parent. */
export class PipeStderr implements TextStream {
  parts: string[] = [];
  constructor(readonly conn: mp.Connection) {}
  write(s: string) {
    this.parts.push(s);
    return s.length;
  }
  flush() {
    if (this.parts.length) {
      this.conn.send(this.parts.join(""));
      this.parts = [];
    }
  }
}

export function exit_with_captured_stderr(conn: mp.Connection, reason: unknown) {
  sys.stderr = new PipeStderr(conn);
  sys.exit(reason);
}

function main() {
  for (const reason of [[1, 2, 3], "ignore this"]) {
    const [r, w] = mp.Pipe(false);
    const p = new mp.Process({ target: exit_with_captured_stderr, args: [w, reason] });
    p.start();
    p.join();
    const text = r.poll(5) ? r.recv() : "<nothing>";
    print(`sys.exit(${repr(reason)}) -> exitcode ${p.exitcode}, stderr ${repr(text)}`);
  }
  for (const args of [[0], [1], [8], [255], [null], [true], [false], []]) {
    const p = new mp.Process({ target: sys.exit, args: args as [unknown?] });
    p.start();
    p.join();
    const shown = args.map((a) => repr(a)).join(", ");
    print(`sys.exit(${shown}) -> exitcode ${p.exitcode}`);
  }
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
