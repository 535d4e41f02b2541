// Port of array_slicing_len.py: len(), negative indices, slices (with step, reversed) return
// lists, slice assignment keeps the length, IndexError('invalid index'), TypeError for non-int
// indices; Array(typecode, n) is zero-filled; a child sees and mutates the same buffer.
import mp from "multiprocessing-ts";
import { print, repr, range, len } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function prefix_sum(seq: mp.sharedctypes.CArray) {
  for (const i of range(1, len(seq))) seq[i] += seq[i - 1];
}

function setitem(a: mp.sharedctypes.CArray, k: number | [number | null, number | null, number | null], v: any) {
  if (typeof k === "number") a[k] = v;
  else a.set_slice(k[0], k[1], k[2], v);
  return a.slice();
}

function main() {
  const seq = [680, 626, 934, 821, 150, 233, 548, 982, 714, 831];
  for (const make of [mp.Array, mp.RawArray]) {
    const arr = make("i", seq);
    const name = make.name;
    show(`${name} len`, () => len(arr));
    show(`${name} [3]`, () => arr[3]);
    show(`${name} [2:7]`, () => arr.slice(2, 7));
    arr.set_slice(4, 8, new Int32Array([1, 2, 3, 4]));
    show(`${name} after [4:8] = array('i', [1, 2, 3, 4])`, () => arr.slice());
    const p = new mp.Process({ target: prefix_sum, args: [arr] });
    p.start();
    p.join();
    show(`${name} after child prefix sum`, () => arr.slice());
  }
  const a = mp.Array("i", range(10));
  show("type(a[:])", () => (Array.isArray(a.slice()) ? "list" : "?"));
  show("a[-1]", () => a[-1]);
  show("a[-10]", () => a[-10]);
  show("a[10]", () => a[10]);
  show("a[-11]", () => a[-11]);
  show("a['x']", () => (a as any)["x"]);
  show("a[1.0]", () => a[1.5]); // 1.0 is the integer 1 in JavaScript: 1.5 takes the same error path
  show("a[::2]", () => a.slice(null, null, 2));
  show("a[::-1]", () => a.slice(null, null, -1));
  show("a[5:2]", () => a.slice(5, 2));
  show("a[-3:]", () => a.slice(-3));
  show("a[100:200]", () => a.slice(100, 200));
  show("list(a)", () => [...a]);
  show("3 in a", () => [...a].includes(3));
  show("a[10] = 1", () => setitem(a, 10, 1));
  show("a[0:3] = [7, 8, 9]", () => setitem(a, [0, 3, null], [7, 8, 9]));
  show("a[0:3] = [1, 2]", () => setitem(a, [0, 3, null], [1, 2]));
  show("a[0:2] = [1, 2, 3]", () => setitem(a, [0, 2, null], [1, 2, 3]));
  show("a[::2] = range(5)", () => setitem(a, [null, null, 2], range(5)));
  show("a[:] = range(10)", () => setitem(a, [null, null, null], range(10)));
  show("del a[0]", () => delete a[0]);
  for (let i = 0; i < 3; i++) {
    const z = mp.Array("i", 10);
    show("Array('i', 10)", () => z.slice());
  }
  show("Array('i', 0) len", () => len(mp.Array("i", 0)));
  show("Array('i', -1)", () => mp.Array("i", -1));
  show("Array('i', 3.0)", () => mp.Array("i", 3.5)); // (same: 3.0 is an integer here)
  show("Array('i', [1.5])", () => mp.Array("i", [1.5]));
  // @ts-expect-error an unknown typecode: its runtime error is what this line shows
  show("Array('x', 3)", () => mp.Array("x", 3));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
