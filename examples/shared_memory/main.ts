// Python docs, multiprocessing.shared_memory: the first example, the one `npm run demo` runs (a
// block written through one instance and read through another attached by name), as a script.
// array.array('b', ...) becomes an Int8Array copy; memoryview is a Buffer.
import { SharedMemory } from "multiprocessing-ts/shared_memory";
import { print } from "multiprocessing-ts/py";

const shm_a = new SharedMemory({ create: true, size: 10 });
print(shm_a.buf!.constructor.name);
const buffer = shm_a.buf!;
print(buffer.length);
buffer.set([22, 33, 44, 55], 0); // Modify multiple at once
buffer[4] = 100; // Modify single byte at a time
// Attach to an existing shared memory block
const shm_b = new SharedMemory(shm_a.name);
print(Int8Array.from(shm_b.buf!.subarray(0, 5))); // Copy the data into a new typed array
shm_b.buf!.set(Buffer.from("howdy"), 0); // Modify via shm_b using bytes
print(Buffer.from(shm_a.buf!.subarray(0, 5))); // Access via shm_a
shm_b.close(); // Close each SharedMemory instance
shm_a.close();
shm_a.unlink(); // Call unlink only once to release the shared memory
