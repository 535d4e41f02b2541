// Compile-time checks (run by test/types.test.ts): Value and Array take a typecode (or a ctypes
// type), and what they hold has the typecode's type. Each @ts-expect-error must be an error.
import mp from "multiprocessing-ts";
import { range } from "multiprocessing-ts/py";
import { ctypes, type Synchronized, type SynchronizedArray, type SynchronizedString } from "multiprocessing-ts/sharedctypes";
import { RawArray as ScRawArray, RawValue as ScRawValue, Value as ScValue, Array as ScArray, synchronized } from "multiprocessing-ts/sharedctypes";

const counter = mp.Value("i", 0);
const n: number = counter.value;
counter.value = 5;
counter.value = 5n; // integer codes accept bigint and bool, as Python's int
counter.value = true;
// @ts-expect-error a number code takes no string
counter.value = "x";
// @ts-expect-error an unknown typecode
mp.Value("x", 0);
// @ts-expect-error the initial value has the typecode's type
mp.Value("i", "x");
// @ts-expect-error c_int() takes one initial value
mp.Value("i", 0, 1);
mp.Value("d", 1.5, { lock: false });
mp.Value("i", { lock: mp.Lock() });
// @ts-expect-error an unknown keyword
mp.Value("i", 0, { lokc: false });

const d: number = mp.Value("d").value;
const q: bigint = mp.Value("q", 1).value;
const ch: Buffer = mp.Value("c", Buffer.from("a")).value;
const u: string = mp.Value("u", "é").value;
const flag: boolean = mp.Value(ctypes.c_bool, true).value;
// @ts-expect-error "?" is c_bool's code but no typecode: Value('?') raises TypeError, as in CPython
mp.Value("?", true);
const viaCtypes: number = mp.Value(ctypes.c_double, 2).value;
void [n, d, q, ch, u, flag, viaCtypes];

// A parameter that takes Value('i', ...): Synchronized<number>.
export function inc(v: Synchronized<number>): void {
  v.get_lock().with(() => {
    v.value += 1;
  });
}
inc(counter);
// @ts-expect-error a bigint value is not a Synchronized<number>
inc(mp.Value("q", 0));

const arr = mp.Array("i", 3);
const first: number = arr[0];
arr[1] = 2;
// @ts-expect-error an 'i' array holds numbers
arr[2] = "x";
for (const x of arr) {
  const y: number = x;
  void y;
}
// @ts-expect-error an unknown typecode
mp.Array("x", 3);
// @ts-expect-error initial elements have the typecode's type
mp.Array("d", ["a"]);
export function total(a: SynchronizedArray<number>): number {
  let t = 0;
  for (const x of a) t += x;
  return t;
}
total(arr);

const str: SynchronizedString = mp.Array("c", 10);
str.value = Buffer.from("hi");
const bytes: Buffer = str.value;
const raw: Buffer = str.raw;
const item: Buffer = str[0];
// @ts-expect-error only 'c' arrays have .value
void arr.value;
void [first, bytes, raw, item];

const rv = mp.RawValue("h", 3);
const h: number = rv.value;
// @ts-expect-error a number code takes no string
rv.value = "x";
const ra = mp.RawArray("d", [1.5, 2]);
const ra0: number = ra[0];
void [h, ra0];

// The same types through the default export's namespace.
export function reset(v: mp.sharedctypes.Synchronized<number>, a: mp.sharedctypes.SynchronizedArray<number>): void {
  v.value = 0;
  a[0] = 0;
}
reset(counter, arr);
const code: mp.sharedctypes.Typecode = "d";
const dyn: number = mp.Value(code, 1).value;
const chars: mp.sharedctypes.Synchronized<Buffer> = mp.Value("c");
void [dyn, chars];

// lock: false gives the raw object (no get_lock()).
const rawInt = mp.Value("i", 1, { lock: false });
const ri: number = rawInt.value;
// @ts-expect-error a raw value has no lock
rawInt.get_lock();
const rawArr = mp.Array("d", 2, { lock: false });
const ra1: number = rawArr[1];
// @ts-expect-error a raw array has no lock
rawArr.get_lock();
// @ts-expect-error RawValue takes no keyword object
mp.RawValue("i", 0, { lock: false });
void [ri, ra1];

// Initializers as Python spells them.
mp.Array("i", range(10));
mp.Array("c", Buffer.from("hi"));
mp.Array("u", "abc");
mp.Array(ctypes.c_double, [1.5]);
export class Point extends ctypes.Structure {
  static override _fields_ = [["x", ctypes.c_double], ["y", ctypes.c_double]] as const;
}
mp.Value(Point, [1, 2]);
mp.Array(Point, [[1.875, -6.25], [-5.75, 2.0]]);

// Python's keyword spellings, typed from the same declarations as the positional ones.
const kwRawArray: number = mp.RawArray({ typecode_or_type: "d", size_or_initializer: 2 })[0];
const kwRawArray2: number = ScRawArray("d", { size_or_initializer: [1.5] })[0];
const kwRawValue: number = ScRawValue({ typecode_or_type: "i" }).value;
const kwValue: number = mp.Value({ typecode_or_type: "i" }).value;
const kwRawByLock: number = ScValue({ typecode_or_type: "d", lock: false }).value;
// @ts-expect-error lock: false gives the raw object, without get_lock()
ScValue({ typecode_or_type: "d", lock: false }).get_lock();
const kwArray: number = mp.Array({ typecode_or_type: "i", size_or_initializer: 3, lock: false })[0];
const kwString: Buffer = ScArray("c", { size_or_initializer: 3 }).value;
synchronized(ScRawValue("i"), { lock: mp.Lock() });
// @ts-expect-error the size has the typecode's element type
mp.Array({ typecode_or_type: "i", size_or_initializer: ["x"] });
// @ts-expect-error c_int() takes one initial value
ScRawValue("i", 0, 1);
// A union of factories stays callable (at most one of them is overloaded).
for (const make of [mp.Array, mp.RawArray]) make("i", [1]);
for (const make of [mp.Value, mp.RawValue]) make("i", 1);
const kwQueue: mp.Queue<number> = mp.Queue<number>({ maxsize: 1 });
const kwJoinable: mp.JoinableQueue = mp.JoinableQueue({ maxsize: 1, capacity: 4096 });
// @ts-expect-error an unknown keyword
mp.Queue({ maxsiz: 1 });
void [kwRawArray, kwRawArray2, kwRawValue, kwValue, kwRawByLock, kwArray, kwString, kwQueue, kwJoinable];
