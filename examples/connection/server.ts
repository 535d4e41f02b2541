// The Listener example of Python's docs, line for line (server.py is the Python original).
// Runs against client.ts or client.py: `node --import tsx examples/connection/server.ts`.
import { Listener } from "multiprocessing-ts/connection";
import { float, print } from "multiprocessing-ts/py";

const address: [string, number] = ["localhost", Number(process.env.MP_EXAMPLE_PORT ?? 6000)]; // family is deduced to be 'AF_INET'

new Listener(address, { authkey: Buffer.from("secret password") }).with((listener) => {
  listener.accept().with((conn) => {
    print("connection accepted from", listener.last_accepted);

    conn.send([2.25, null, "junk", float]);

    conn.send_bytes(Buffer.from("hello"));

    conn.send_bytes(new Int32Array([42, 1729]));
  });
});
