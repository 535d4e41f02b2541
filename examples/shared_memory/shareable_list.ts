// Python docs, multiprocessing.shared_memory: ShareableList items, type changes, storage limits,
// and a second instance attached by name.
import { ShareableList } from "multiprocessing-ts/shared_memory";
import { print, repr, len, ValueError } from "multiprocessing-ts/py";

const pyType = (v: unknown) =>
  v === null ? "NoneType" : typeof v === "string" ? "str" : Buffer.isBuffer(v) ? "bytes" : typeof v === "boolean" ? "bool" : Number.isInteger(v) ? "int" : "float";

const a = new ShareableList<any>(["howdy", Buffer.from("HoWdY"), -273.154, 100, null, true, 42]);
print([...a].map(pyType));
print(a[2]);
a[2] = -78.5;
print(a[2]);
a[2] = "dry ice"; // Changing data types is supported as well
print(a[2]);
try {
  a[2] = "larger than previously allocated storage space";
} catch (e) {
  if (e instanceof ValueError) print("ValueError:", e);
}
print(a[2]);
print(len(a));
print(a.index(42));
print(a.count(Buffer.from("howdy")));
print(a.count(Buffer.from("HoWdY")));
a.shm.close();
a.shm.unlink();

const b = new ShareableList(Array.from({ length: 5 }, (_, i) => i)); // In a first process
const c = new ShareableList<number>(null, { name: b.shm.name }); // In a second process
print(repr(c).replace(b.shm.name, "..."));
c[-1] = -999;
print(b[-1]);
b.shm.close();
c.shm.close();
c.shm.unlink();
