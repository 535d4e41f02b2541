// "Using a remote manager" of Python's multiprocessing docs, both ways, in one run (main.py is
// the Python equivalent). server.ts, client_put.ts and client_get.ts are the docs' three
// programs line for line; this demo starts its own server on a free loopback port instead of
// 50000 and runs the clients against it:
//   1. a TypeScript server with Python clients (client_put.py, client_get.py) and a TypeScript one;
//   2. a Python server (server.py) with a TypeScript client.
// The Python halves are skipped when python3 is not installed.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BaseManager } from "multiprocessing-ts/managers";
import { print } from "multiprocessing-ts/py";
import { QueueManager } from "./server.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const authkey = Buffer.from("abracadabra");
const python = spawnSync("python3", ["-c", "import multiprocessing.managers"], { stdio: "ignore" }).status === 0 ? "python3" : null;

// 1. The TypeScript server: start() serves in a process of its own (get_server().serve_forever()
// would block this program, as in server.ts).
const m = new QueueManager({ address: ["127.0.0.1", 0], authkey });
m.start();
const port = (m.address as [string, number])[1];
print("TypeScript server on port", port);
if (python) {
  spawnSync("python3", [here + "client_put.py", String(port)], { stdio: "inherit", timeout: 30_000 });
  const got = spawnSync("python3", [here + "client_get.py", String(port)], { encoding: "utf8", timeout: 30_000 });
  print("python3 client_get.py printed:", got.stdout.trim());
} else {
  print("python3 not found: the Python clients are skipped");
}
const queue = (m as any).get_queue();
queue.put("hello from a TypeScript client");
print("TypeScript client got:", queue.get());
m.shutdown();

// 2. The Python server, with a TypeScript client.
if (python) {
  const server = spawn("python3", [here + "server.py", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let got = "";
      server.stdout!.setEncoding("utf8").on("data", (d: string) => {
        got += d;
        if (got.includes("\n")) resolve(got.split("\n")[0]!.trim());
      });
      server.once("exit", () => reject(new Error("server.py exited")));
    });
    print("python3 server.py:", line);
    class RemoteQueueManager extends BaseManager {}
    RemoteQueueManager.register("get_queue");
    const c: any = new RemoteQueueManager({ address: ["127.0.0.1", Number(line.split(" ").at(-1))], authkey });
    c.connect();
    const q = c.get_queue();
    q.put("hello");
    print("TypeScript client of the Python server got:", q.get());
  } finally {
    server.kill();
  }
} else {
  print("python3 not found: the Python server is skipped");
}
