// Port of manager_namespace_value_array.py: Namespace attributes live in the server except names
// starting with '_' (kept on the local proxy); str(Namespace) lists public attributes sorted;
// manager Value has no type checking; manager Array is an array.array in the server (slices
// come back as array.array).
import mp from "multiprocessing-ts";
import { print, repr, str, len, tuple } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    const r = fn();
    print(`${label}: ${repr(r).replace(/0x[0-9a-f]+/g, "0xADDR")}`);
  } catch (e: any) {
    const msg = str(e);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function child(ns: mp.managers.NamespaceProxy, val: mp.managers.ValueProxy, arr: mp.managers.ArrayProxy, q: mp.Queue) {
  q.put(tuple("child sees", ns.name, ns.x, val.value, val.get(), len(arr), [...arr]));
  ns.x = 99;
  val.set(2);
  arr[0] = -1;
}

function main() {
  mp.Manager().with((m) => {
    const n = m.Namespace();
    n.name = "Bob";
    n.job = "Builder";
    n._hidden = "hidden";
    n.x = 0;
    show("(n.name, n.job)", () => tuple(n.name, n.job));
    show("repr", () => repr(n));
    show("str", () => str(n));
    delete n.job;
    show("str after del n.job", () => str(n));
    show("hasattr(n, 'name'), hasattr(n, 'job')", () => tuple("name" in n, "job" in n));
    show("n.missing", () => n.missing);
    show("n._hidden (local)", () => n._hidden);
    show("m.Namespace(a=1, b='x')", () => str(m.Namespace({ a: 1, b: "x" })));
    const v = m.Value("i", 1);
    show("Value repr", () => repr(v));
    show("Value str", () => str(v));
    show("value, get()", () => tuple(v.value, v.get()));
    const arr = m.Array("i", [0, 1]);
    show("Array repr", () => repr(arr));
    show("Array str", () => str(arr));
    show("len, list, [1]", () => tuple(len(arr), [...arr], arr[1]));
    show("arr[0:2]", () => arr.slice(0, 2));
    show("arr[0] = 1.5", () => arr.__setitem__(0, 1.5));
    show("arr[5]", () => arr[5]);
    const q = mp.Queue();
    const p = new mp.Process({ target: child, args: [n, v, arr, q] });
    p.start();
    print(q.get());
    p.join();
    show("after child: n.x, v.value, arr", () => tuple(n.x, v.value, [...arr]));
    v.value = "not an int";
    show("Value accepts any object", () => v.value);
    show("m.Value('d', 1.5).value", () => m.Value("d", 1.5).value);
  });
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
