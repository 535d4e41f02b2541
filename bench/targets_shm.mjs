// Child targets of bench/shared_memory.mjs (a child re-imports the module that defines its target).
import { SharedMemory } from "multiprocessing-ts/shared_memory";

export const SIZE = 100 * 2 ** 20;

/**
 * Attaches by name and times, through .buf: a 100 MB write (from a Buffer), a 100 MB read into a
 * destination already in memory (a plain copy), and a 100 MB read into a new Buffer (malloc +
 * copy, as bytes(shm.buf) does: mostly the kernel handing out fresh pages); sends the three in s.
 */
export function bulkChild(name, conn) {
  const shm = new SharedMemory(name);
  const src = Buffer.alloc(SIZE, 0x5a);
  const dst = Buffer.alloc(SIZE, 1); // touched: its pages are resident before the clock starts
  const t0 = performance.now();
  shm.buf.set(src);
  const t1 = performance.now();
  shm.buf.copy(dst, 0, 0, SIZE);
  const t2 = performance.now();
  const out = Buffer.allocUnsafe(SIZE);
  shm.buf.copy(out, 0, 0, SIZE);
  const t3 = performance.now();
  if (dst[SIZE - 1] !== 0x5a || out[SIZE - 1] !== 0x5a) throw new Error("read back the wrong bytes");
  shm.close();
  conn.send([(t1 - t0) / 1e3, (t2 - t1) / 1e3, (t3 - t2) / 1e3]);
}

/** Times this process's very first attach by name (and its close), in seconds; sends it. */
export function attachFirst(name, conn) {
  const t0 = performance.now();
  new SharedMemory(name).close();
  conn.send((performance.now() - t0) / 1e3);
}

/** Attaches each name once (none is known to this thread yet) and sends the mean time per attach+close, in seconds. */
export function attachEach(names, conn) {
  const t0 = performance.now();
  for (const name of names) new SharedMemory(name).close();
  conn.send((performance.now() - t0) / 1e3 / names.length);
}

/**
 * Warm child: receives block names one at a time (each made after its previous attach, so
 * nothing of it was sent ahead), times each attach+close, and sends the times (s) back at "stop".
 */
export function attachFresh(conn) {
  const times = [];
  for (let name = conn.recv(); name !== null; name = conn.recv()) {
    const t0 = performance.now();
    new SharedMemory(name).close();
    times.push((performance.now() - t0) / 1e3);
    conn.send(true);
  }
  conn.send(times);
}
