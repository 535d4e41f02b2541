// The Client example of Python's docs, line for line (client.py is the Python original).
// Runs against server.ts or server.py: `node --import tsx examples/connection/client.ts`.
import { Client } from "multiprocessing-ts/connection";
import { print } from "multiprocessing-ts/py";

const address: [string, number] = ["localhost", Number(process.env.MP_EXAMPLE_PORT ?? 6000)];

Client(address, { authkey: Buffer.from("secret password") }).with((conn) => {
  print(conn.recv()); // => [2.25, None, 'junk', float]

  print(conn.recv_bytes()); // => b'hello'

  const arr = new Int32Array([0, 0, 0, 0, 0]);
  print(conn.recv_bytes_into(arr)); // => 8
  print(arr); // => array('i', [42, 1729, 0, 0, 0])
});
