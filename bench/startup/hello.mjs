// A one-Process hello, compiled (bench/startup.mjs times the whole program).
import { Process, is_main } from "multiprocessing-ts";
import { print } from "multiprocessing-ts/py";

export function f(name) {
  print("hello", name);
}

if (is_main(import.meta)) {
  const p = new Process({ target: f, args: ["bob"] });
  p.start();
  p.join();
}
