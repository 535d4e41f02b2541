// What send()/recv() of a socket Connection put on the wire. CPython peers need pickle
// (Lib/multiprocessing/connection.py: _ForkingPickler.dumps / loads).
// TEMPORARY until the pickle codec (shared/pickle.ts) is merged: the library's own codec, so
// that Node ⇄ Node works; CPython peers can only use send_bytes/recv_bytes meanwhile.

import { decode, encode } from "../shared/codec.js";

/** Serializes one object for send(). */
export function dumps(obj: unknown): Uint8Array {
  return encode(obj);
}

/** Deserializes one message for recv(). */
export function loads(buf: Buffer): unknown {
  return decode(buf, 0, buf.length);
}
