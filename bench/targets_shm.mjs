// Child targets of bench/shared_memory.mjs (a child re-imports the module that defines its target).
import { SharedMemory } from "multiprocessing-ts/shared_memory";

export const SIZE = 100 * 2 ** 20;

/** Attaches by name, times a 100 MB write and a 100 MB read (a copy into a new Buffer) through .buf, sends [write s, read s]. */
export function bulkChild(name, conn) {
  const shm = new SharedMemory(name);
  const src = Buffer.alloc(SIZE, 0x5a);
  const t0 = performance.now();
  shm.buf.set(src);
  const t1 = performance.now();
  const out = Buffer.allocUnsafe(SIZE); // malloc + memcpy, as bytes(shm.buf) does
  shm.buf.copy(out, 0, 0, SIZE);
  const t2 = performance.now();
  if (out[SIZE - 1] !== 0x5a) throw new Error("read back the wrong bytes");
  shm.close();
  conn.send([(t1 - t0) / 1e3, (t2 - t1) / 1e3]);
}

/** Attaches each name once (none is known to this thread yet) and sends the mean time per attach+close, in seconds. */
export function attachEach(names, conn) {
  const t0 = performance.now();
  for (const name of names) new SharedMemory(name).close();
  conn.send((performance.now() - t0) / 1e3 / names.length);
}
