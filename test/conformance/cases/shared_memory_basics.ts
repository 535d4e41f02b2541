// Port of shared_memory_basics.py: create (random or given name), attach by name (size argument
// ignored), write/read through .buf, children attach by name or via the passed object, argument
// validation (ValueError texts), FileExistsError/FileNotFoundError, close()/unlink() semantics.
// `pickle.loads(pickle.dumps(shm))` is spelled as what SharedMemory.__reduce__ returns; `buf[i]`
// with memoryview's checks is `buf.__getitem__(i)` (plain `buf[i]` is a typed array's access).
import { constants } from "node:os";
import mp from "multiprocessing-ts";
import { print, repr, os, OSError } from "multiprocessing-ts/py";
import { SharedMemory } from "multiprocessing-ts/shared_memory";

const errorcode = (n: number | null) => Object.entries(constants.errno).find(([, v]) => v === n)?.[0];

function show(label: string, fn: () => unknown) {
  try {
    print(`${label}: ${repr(fn())}`);
  } catch (e: any) {
    if (e instanceof OSError) {
      print(`${label}: ${e.name} errno=${errorcode(e.errno)}`);
      return;
    }
    const msg = String(e.message);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

/** pickle.loads(pickle.dumps(shm)): rebuilds from __reduce__, re-attaching by name. */
function pickleRoundTrip(shm: SharedMemory): SharedMemory {
  const [cls, args] = shm.__reduce__();
  return new cls(...args);
}

export function attach_and_write(name_or_obj: string | SharedMemory, data: Buffer) {
  let shm: SharedMemory;
  if (typeof name_or_obj === "string") {
    shm = new SharedMemory(name_or_obj);
  } else {
    shm = name_or_obj;
  }
  shm.buf!.set(data, 0);
  shm.close();
}

function main() {
  const name = `mpconf_${os.getpid()}`;
  const sms = new SharedMemory(name, { create: true, size: 512 });
  try {
    show("name == requested", () => sms.name === name);
    show("size", () => sms.size);
    show("len(buf)", () => sms.buf!.length);
    show("buf type", () => sms.buf!.constructor.name);
    show("repr", () => repr(sms).replace(name, "NAME"));
    show("fresh contents are zero", () => sms.buf!.subarray(0, 8));
    sms.buf![0] = 42;
    const also = new SharedMemory(name);
    show("attached sees buf[0]", () => also.buf![0]);
    also.close();
    const same = new SharedMemory(name, { size: 20 * sms.size });
    show("attach with bigger size: size", () => same.size);
    same.close();
    show("create with existing name", () => new SharedMemory(name, { create: true, size: 512 }));
    show("buf[512] out of range", () => sms.buf!.__getitem__(512));
    show("buf[0] = 256", () => sms.buf!.__setitem__(0, 256));
    let p = new mp.Process({ target: attach_and_write, args: [name, Buffer.from("howdy")] });
    p.start();
    p.join();
    show("child wrote via name", () => sms.buf!.subarray(0, 5));
    p = new mp.Process({ target: attach_and_write, args: [sms, Buffer.from("HELLO")] });
    p.start();
    p.join();
    show("child wrote via passed object", () => sms.buf!.subarray(0, 5));
    const clone = pickleRoundTrip(sms);
    clone.buf!.set(Buffer.from("pickle"), 0);
    show("pickled copy shares memory", () => sms.buf!.subarray(0, 6));
    clone.close();
  } finally {
    sms.close();
    sms.unlink();
  }
  show("buf after close", () => sms.buf);
  show("close() again", () => sms.close());
  show("unlink() again", () => sms.unlink());
  show("attach after unlink", () => new SharedMemory(name));
  show("unpickle after unlink", () => pickleRoundTrip(sms));

  const anon = new SharedMemory({ create: true, size: 10 });
  show("random name starts with 'psm_'", () => anon.name.startsWith("psm_"));
  show("size", () => anon.size);
  anon.close();
  anon.unlink();

  show("size=-2", () => new SharedMemory({ create: true, size: -2 }));
  show("size=0", () => new SharedMemory({ create: true, size: 0 }));
  show("create=True without size", () => new SharedMemory({ create: true }));
  show("no name, create=False", () => new SharedMemory({ create: false }));
  show("attach nonexistent", () => new SharedMemory("mpconf_not_there"));
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
