// What send()/recv() of a socket Connection put on the wire: pickle, as CPython's
// Lib/multiprocessing/connection.py does (_ForkingPickler.dumps / loads), so that a CPython peer
// can be on the other end. Protocol 4, CPython 3.11-3.13's default; reading is allowlist-only.

import { dumps as pickleDumps, loads as pickleLoads } from "../shared/pickle.js";

/** Serializes one object for send(). */
export function dumps(obj: unknown): Uint8Array {
  return pickleDumps(obj);
}

/** Deserializes one message for recv(). */
export function loads(buf: Buffer): unknown {
  return pickleLoads(buf);
}
