// Port of pipe_errors.py: simplex ends are read-only/write-only (OSError), a closed handle
// raises OSError('handle is closed'), EOFError after the peer closed, BufferTooShort carries the
// whole message, recv_bytes(maxlength) overflow raises OSError('bad message length'), `with`
// closes the connection.
import mp from "multiprocessing-ts";
import { print, repr, tuple } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

function main() {
  const [reader, writer] = mp.Pipe(false);
  show("reader readable/writable", () => tuple(reader.readable, reader.writable));
  show("writer readable/writable", () => tuple(writer.readable, writer.writable));
  show("writer.send(1)", () => writer.send(1));
  show("reader.recv()", () => reader.recv());
  show("reader.send(2)", () => reader.send(2));
  show("reader.send_bytes(b'x')", () => reader.send_bytes(Buffer.from("x")));
  show("writer.recv()", () => writer.recv());
  show("writer.recv_bytes()", () => writer.recv_bytes());
  show("writer.poll()", () => writer.poll());
  writer.close();
  show("reader.poll() after writer closed", () => reader.poll());
  show("reader.recv() after writer closed", () => reader.recv());
  show("reader.recv_bytes() after writer closed", () => reader.recv_bytes());

  const [a, b] = mp.Pipe();
  b.send_bytes(Buffer.from("0123456789"));
  try {
    a.recv_bytes_into(Buffer.alloc(4));
  } catch (e: any) {
    if (!(e instanceof mp.BufferTooShort)) throw e;
    print("BufferTooShort: args", tuple(...e.args), "is ProcessError:", e instanceof mp.ProcessError);
  }
  const buf = Buffer.alloc(10);
  show("recv_bytes_into(buf, 11)", () => a.recv_bytes_into(buf, 11));
  show("recv_bytes_into(buf, -1)", () => a.recv_bytes_into(buf, -1));
  show("recv_bytes(-1)", () => a.recv_bytes(-1));
  b.send_bytes(Buffer.from("0123456789"));
  show("recv_bytes(maxlength=5) for a 10-byte message", () => a.recv_bytes(5));
  show("  readable/writable afterwards", () => tuple(a.readable, a.writable, a.closed));
  show("  recv() afterwards", () => a.recv());

  const [c, d] = mp.Pipe();
  c.close();
  show("closed: .closed", () => c.closed);
  show("closed: send()", () => c.send(1));
  show("closed: recv()", () => c.recv());
  show("closed: poll()", () => c.poll());
  show("closed: fileno()", () => c.fileno());
  show("closed: close() again", () => c.close());
  show("peer d.recv() after c closed", () => d.recv());
  show("peer d.poll() after c closed", () => d.poll());
  show("peer d.send() after c closed", () => d.send(1));

  const [e, f] = mp.Pipe();
  e.with(() =>
    f.with(() => {
      e.send(1729);
      show("inside with: f.recv()", () => f.recv());
      show("inside with: closed flags", () => tuple(e.closed, f.closed));
    }),
  );
  show("after with: closed flags", () => tuple(e.closed, f.closed));
  show("after with: e.recv()", () => e.recv());
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
