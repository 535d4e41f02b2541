// Python docs, multiprocessing.shared_memory: an array backed by shared memory, seen and changed
// from a second process that attaches by name (the docs' "second Python shell"). The NumPy
// ndarray over shm.buf becomes a BigInt64Array (np.int64) over the same bytes.
import multiprocessing from "multiprocessing-ts";
import { SharedMemory } from "multiprocessing-ts/shared_memory";
import { print } from "multiprocessing-ts/py";

export function second_shell(name: string) {
  // Attach to the existing shared memory block
  const existing_shm = new SharedMemory({ name });
  // Note that a.length is 6 and the element type is int64 in this example
  const c = new BigInt64Array(existing_shm.buf!.buffer, existing_shm.buf!.byteOffset, 6);
  print(c);
  c[c.length - 1] = 888n;
  print(c);
  existing_shm.close();
}

if (multiprocessing.is_main(import.meta)) {
  const a = BigInt64Array.from([1n, 1n, 2n, 3n, 5n, 8n]); // Start with an existing array
  const shm = new SharedMemory({ create: true, size: a.byteLength });
  // Now create an array backed by shared memory
  const b = new BigInt64Array(shm.buf!.buffer, shm.buf!.byteOffset, a.length);
  b.set(a); // Copy the original data into shared memory
  print(b);
  print(b.constructor.name);
  print(shm.name.startsWith("psm_")); // We did not specify a name so one was chosen for us
  const p = new multiprocessing.Process({ target: second_shell, args: [shm.name] });
  p.start();
  p.join();
  // Back in the first process, b reflects this change
  print(b);
  shm.close();
  shm.unlink(); // Free and release the shared memory block at the very end
}
