// Port of the "Shared ctypes Objects" example of Python's multiprocessing documentation
// (https://docs.python.org/3/library/multiprocessing.html#module-multiprocessing.sharedctypes):
// Value, Array of bytes, and an Array of a ctypes.Structure modified in a child.
import mp from "multiprocessing-ts";
import { Value, Array, ctypes } from "multiprocessing-ts/sharedctypes";
import { print } from "multiprocessing-ts/py";

export class Point extends ctypes.Structure {
  static override _fields_ = [["x", ctypes.c_double], ["y", ctypes.c_double]] as const;
  declare x: number;
  declare y: number;
}

export function modify(n: any, x: any, s: any, A: any) {
  n.value **= 2;
  x.value **= 2;
  s.value = Buffer.from(s.value.toString("latin1").toUpperCase(), "latin1");
  for (const a of A) {
    a.x **= 2;
    a.y **= 2;
  }
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const lock = mp.Lock();

  const n = Value("i", 7);
  const x = Value(ctypes.c_double, 1.0 / 3.0, { lock: false });
  const s = Array("c", Buffer.from("hello world"), { lock }) as mp.sharedctypes.SynchronizedString;
  const A = Array(Point, [[1.875, -6.25], [-5.75, 2.0], [2.375, 9.5]], { lock });

  const p = new mp.Process({ target: modify, args: [n, x, s, A] });
  p.start();
  p.join();

  print(n.value);
  print(x.value);
  print(s.value);
  print([...A].map((a: Point) => mp.py.tuple(a.x, a.y)));
}
