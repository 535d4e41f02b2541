// The first Pool example of Python's multiprocessing docs, run distributed: the Pool starts five
// `multiprocessing-ts worker` processes that take their tasks from a BullMQ queue on Redis
// (REDIS_URL, default redis://127.0.0.1:6379). See README.md here for workers on other machines.
import { is_main } from "multiprocessing-ts";
import { Pool } from "multiprocessing-ts/distributed";
import { print } from "multiprocessing-ts/py";

export function f(x: number): number {
  return x * x;
}

if (is_main(import.meta)) {
  const connection = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  Pool({ processes: 5, connection }).with((p) => {
    print(p.map(f, [1, 2, 3]));
  });
}
