// Port of listener_client_authkey.py: Listener / Client over AF_INET and AF_UNIX, the authkey
// handshake both ways, a wrong key refused on both sides, the closed listener, bad arguments.
import mp from "multiprocessing-ts";
import { Client, Listener, deliver_challenge, type Address } from "multiprocessing-ts/connection";
import { print, repr } from "multiprocessing-ts/py";
import { basename } from "node:path";
import { existsSync } from "node:fs";

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function client(address: Address, authkey: Buffer | null, q: mp.Queue) {
  try {
    Client(address, { authkey }).with((c) => {
      c.send(["hello", 1, "two", null, true]);
      q.put(["client got", c.recv()]);
      c.send_bytes(Buffer.from("raw bytes"));
    });
  } catch (e: any) {
    if (!(e instanceof mp.AuthenticationError)) throw e;
    q.put(["client", `${e.name}: ${e.message}`]);
  }
}

function serve_one(listener: Listener, authkey_for_client: Buffer | null) {
  const q = mp.Queue();
  const p = new mp.Process({ target: client, args: [listener.address, authkey_for_client, q] });
  p.start();
  try {
    listener.accept().with((c) => {
      print("  server got:", c.recv());
      c.send(new Map<string, unknown>([["reply", "ok"], ["n", 3]]));
      print("  server got bytes:", c.recv_bytes());
      show("  recv() after the client closed", () => c.recv());
    });
  } catch (e: any) {
    if (!(e instanceof mp.AuthenticationError)) throw e;
    print(`  server ${e.name}: ${e.message}`);
  }
  print(" ", ...(q.get(true, 30) as unknown[]));
  p.join();
  print("  client exitcode:", p.exitcode);
}

function main() {
  print("AF_INET with an authkey:");
  new Listener(["localhost", 0], { authkey: Buffer.from("secret password") }).with((l) => {
    const a = l.address as [string, number];
    print("  address:", "tuple", a[0], Number.isInteger(a[1]));
    print("  last_accepted before accept:", l.last_accepted);
    serve_one(l, Buffer.from("secret password"));
    print("  last_accepted:", "tuple", (l.last_accepted as [string, number])[0]);
  });

  print("AF_INET without an authkey:");
  new Listener(["127.0.0.1", 0]).with((l) => serve_one(l, null));

  print("AF_INET, the client has the wrong key:");
  new Listener(["localhost", 0], { authkey: Buffer.from("right") }).with((l) => serve_one(l, Buffer.from("wrong")));

  print("AF_UNIX (default family, arbitrary address):");
  const l = new Listener();
  const addr = l.address as string;
  print("  address is a path:", typeof addr === "string", basename(addr).startsWith("listener-"), existsSync(addr));
  l.with((l) => {
    serve_one(l, null);
    print("  last_accepted:", repr(l.last_accepted));
  });
  print("  path removed by close():", !existsSync(addr));

  print("AF_UNIX with an authkey, explicit family:");
  new Listener({ family: "AF_UNIX", authkey: Buffer.from("k") }).with((l) => serve_one(l, Buffer.from("k")));

  print("closed listener:");
  const closed = new Listener(["localhost", 0]);
  const port = (closed.address as [string, number])[1];
  closed.close();
  show("  accept()", () => closed.accept());
  show("  close() again", () => closed.close());
  show("  address", () => closed.address);
  show("  Client to the closed port", () => Client(["localhost", port]));

  print("bad arguments:");
  show("  Listener(family='AF_PIPE')", () => new Listener({ family: "AF_PIPE" }));
  show("  Listener(authkey='secret')", () => new Listener(["localhost", 0], { authkey: "secret" as any }));
  show("  Client(12)", () => Client(12 as any));
  show("  Client(address, family='AF_PIPE')", () => Client(["localhost", 1], { family: "AF_PIPE" }));
  show("  Client to a missing AF_UNIX path", () => Client("/nonexistent/dir/listener-x"));
  new Listener(["localhost", 0]).with((l) => show("  a second Listener on the same address", () => new Listener(l.address)));
  new Listener().with((l) => show("  a second Listener on the same path", () => new Listener(l.address)));
  const [a] = mp.Pipe();
  show("  deliver_challenge(conn, 'key')", () => deliver_challenge(a, "key" as any));
  print("  AuthenticationError is a ProcessError:", mp.AuthenticationError.prototype instanceof mp.ProcessError);
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
