// Compile-time checks (run by test/types.test.ts): the shared_memory constructors take Python's
// arguments, and what they return has Python's members only. Each @ts-expect-error must be an error.
import mp from "multiprocessing-ts";
import { ShareableList, SharedMemory, SharedMemoryManager } from "multiprocessing-ts/shared_memory";

const a = new SharedMemory({ create: true, size: 10 });
const b = new SharedMemory(a.name, false, 10);
const c = new SharedMemory(a.name, { size: 10 });
const buf: Buffer | null = a.buf;
const n: number = b.size + c.size;
void [buf, n];
// @ts-expect-error an unknown keyword
new SharedMemory({ sise: 10 });
// @ts-expect-error size is a number
new SharedMemory("x", true, "10");
// @ts-expect-error buf may be null (after close())
a.buf[0] = 1;

const sl = new ShareableList([1, 2, 3]);
const first: number = sl[0];
const shm: SharedMemory = sl.shm;
const fmt: string = sl.format;
void [first, shm, fmt, sl.count(1), sl.index(2)];
new ShareableList(null, { name: "x" });
// @ts-expect-error a ShareableList cannot grow
sl.append(4);
// @ts-expect-error name is keyword-only
new ShareableList([1], "x");

const smm = new SharedMemoryManager();
const s2: SharedMemory = smm.SharedMemory(128);
const s3: SharedMemory = smm.SharedMemory({ size: 128 });
const l2: ShareableList<string> = smm.ShareableList(["a"]);
void [s2, s3, l2];
// @ts-expect-error size is a number
smm.SharedMemory("128");
const viaNamespace: typeof SharedMemory = mp.shared_memory.SharedMemory;
void viaNamespace;
