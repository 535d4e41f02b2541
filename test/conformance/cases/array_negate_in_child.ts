// Port of array_negate_in_child.py: a child negates every element of a shared Array; the
// parent sees the change after join(). Also for Array('d') and RawArray.
import mp from "multiprocessing-ts";
import { print, range, len } from "multiprocessing-ts/py";

export function negate(arr: mp.sharedctypes.CArray) {
  for (const i of range(len(arr))) arr[i] = -arr[i];
}

function main() {
  for (const [label, arr] of [
    ["Array('i', range(10))", mp.Array("i", range(10))],
    ["Array('d', [0.5, 1.5, -2.25])", mp.Array("d", [0.5, 1.5, -2.25])],
    ["RawArray('i', range(5))", mp.RawArray("i", range(5))],
  ] as const) {
    print(label, "before:", arr.slice());
    const p = new mp.Process({ target: negate, args: [arr] });
    p.start();
    p.join();
    print(label, "after: ", arr.slice());
    print("  exitcode:", p.exitcode);
  }
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
