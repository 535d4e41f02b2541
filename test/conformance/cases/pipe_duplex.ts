// Port of pipe_duplex.py: a duplex Pipe between parent and child: objects and raw bytes both
// ways, recv_bytes_into with an offset, a 1 MiB message, EOFError after the child closes.
import mp from "multiprocessing-ts";
import { print, repr, range, tuple, EOFError } from "multiprocessing-ts/py";

const SENTINEL = Buffer.alloc(0);

export function echo(conn: mp.Connection) {
  for (let msg = conn.recv_bytes(); !msg.equals(SENTINEL); msg = conn.recv_bytes()) conn.send_bytes(msg);
  conn.send(tuple("child says", "bye"));
  conn.close();
}

function main() {
  const [conn, child_conn] = mp.Pipe();
  print("types:", conn.constructor.name, child_conn.constructor.name);
  print("readable/writable/closed:", conn.readable, conn.writable, conn.closed);
  const p = new mp.Process({ target: echo, args: [child_conn], daemon: true });
  p.start();
  child_conn.close(); // closing right after start() is fine
  print("send([1, 2.25, None]) returns:", conn.send([1, 2.25, null]));
  print("recv() of the echoed pickle:", conn.recv());
  print("send_bytes(b'ping') returns:", conn.send_bytes(Buffer.from("ping")));
  print("echo of b'ping':", conn.recv_bytes());
  const arr = Int32Array.from(range(4));
  conn.send_bytes(arr);
  let buf = new Int32Array(10);
  print("recv_bytes_into(array) ->", conn.recv_bytes_into(buf), [...buf]);
  conn.send_bytes(arr);
  buf = new Int32Array(10);
  print("recv_bytes_into(array, 3*itemsize) ->", conn.recv_bytes_into(buf, 3 * buf.BYTES_PER_ELEMENT), [...buf]);
  const big = Buffer.alloc(1024 * 1024, "X");
  conn.send_bytes(big);
  print("1 MiB echo intact:", conn.recv_bytes().equals(big));
  conn.send_bytes(Buffer.from("bytearray ok"));
  print("bytearray echo:", conn.recv_bytes());
  conn.send_bytes(Buffer.from("0123456789").subarray(2, 5));
  print("memoryview slice echo:", conn.recv_bytes());
  conn.send_bytes(SENTINEL); // tell child to stop
  print("object from child:", conn.recv());
  try {
    conn.recv();
  } catch (e) {
    if (!(e instanceof EOFError)) throw e;
    print("recv() after child closed: EOFError", repr(e.message));
  }
  p.join();
  print("child exitcode:", p.exitcode);

  const [a, b] = mp.Pipe();
  a.send({ x: [1, 2, 3], y: tuple(null, true) });
  b.send(tuple("reply", 2n ** 80n));
  print("b received:", b.recv());
  print("a received:", a.recv());
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
