// Port of the message framing of CPython Lib/multiprocessing/connection.py (PSF-2.0),
// Connection._send_bytes / _recv_bytes: each message is a 4-byte signed big-endian length and
// the payload; a message longer than 0x7fffffff bytes has the length -1 (0xffffffff) followed by
// an 8-byte unsigned big-endian length (Python 3.8+).

/** Largest length the 4-byte header carries. */
export const kShortMax = 0x7fffffff;

/**
 * The header for a payload of `n` bytes: 4 bytes, or 12 for one above 2 GiB - 1.
 * @throws RangeError for a negative or non-integer length.
 */
export function frameHeader(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad message length ${n}`);
  if (n <= kShortMax) {
    const h = Buffer.allocUnsafe(4);
    h.writeInt32BE(n, 0);
    return h;
  }
  const h = Buffer.allocUnsafe(12);
  h.writeInt32BE(-1, 0);
  h.writeBigUInt64BE(BigInt(n), 4);
  return h;
}

/** Bodies from this size up get memory of their own, which recycle() may reuse. */
const kRecycleMin = 64 * 1024;
/** Larger bodies are not kept for reuse (a connection would hold that much memory while idle). */
const kRecycleMax = 16 << 20;

/** A message longer than the reader's limit: the stream cannot be read further. */
export class FrameTooLarge extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(`message of ${size} bytes is over the limit of ${limit} bytes`);
  }
}

/** A length header Python itself would never send (a negative length other than -1). */
export class BadFrame extends Error {}

/**
 * Incremental frame reader: feed it socket chunks, it returns the complete payloads. Only the
 * message being assembled is buffered (one allocation of its final size).
 */
export class FrameReader {
  #head = Buffer.alloc(12);
  #headGot = 0;
  #headNeed = 4;
  #body: Buffer | null = null;
  #bodyGot = 0;
  readonly #limit: number;
  /** Memory of bodies this reader allocated (the only buffers recycle() takes back). */
  readonly #own = new WeakSet<ArrayBufferLike>();
  /** A body buffer handed back by the consumer, reused for the next large message. */
  #spare: Buffer | null = null;

  /** `limit`: largest payload accepted, in bytes (Infinity: no limit, as CPython). */
  constructor(limit = Infinity) {
    this.#limit = limit;
  }

  /** True while part of a message has arrived. */
  get partial(): boolean {
    return this.#headGot > 0 || this.#body !== null;
  }

  /**
   * A buffer for a body of `size` bytes: the spare one if it is large enough. Fresh memory costs
   * a page fault per 4 KiB the first time it is written (about 1 ms per MiB here), reused memory
   * nothing.
   */
  #allocBody(size: number): Buffer {
    const spare = this.#spare;
    if (spare !== null && spare.length >= size && size >= kRecycleMin) {
      this.#spare = null;
      return spare.subarray(0, size);
    }
    const body = size >= kRecycleMin ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
    if (size >= kRecycleMin) this.#own.add(body.buffer);
    return body;
  }

  /**
   * Hands back a payload this reader returned, once its bytes have been copied elsewhere: its
   * memory may hold the next large message. Payloads that are views of socket chunks, and
   * anything not made here, are ignored.
   */
  recycle(payload: Buffer): void {
    const ab = payload.buffer;
    if (payload.byteOffset !== 0 || !this.#own.has(ab) || ab.byteLength > kRecycleMax) return;
    if (this.#spare === null || this.#spare.buffer.byteLength < ab.byteLength) this.#spare = Buffer.from(ab, 0, ab.byteLength);
  }

  /**
   * Consumes `chunk`, calling `onMessage` for each payload it completes.
   * @throws FrameTooLarge over the limit; BadFrame for a header Python would not write.
   */
  push(chunk: Buffer, onMessage: (payload: Buffer) => void): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#body === null) {
        const take = Math.min(this.#headNeed - this.#headGot, chunk.length - i);
        chunk.copy(this.#head, this.#headGot, i, i + take);
        this.#headGot += take;
        i += take;
        if (this.#headGot < this.#headNeed) return;
        let size: number;
        if (this.#headNeed === 4) {
          const n = this.#head.readInt32BE(0);
          if (n === -1) {
            this.#headNeed = 12;
            continue;
          }
          if (n < 0) throw new BadFrame(`bad message length header ${n}`);
          size = n;
        } else {
          const big = this.#head.readBigUInt64BE(4);
          if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameTooLarge(Number(big), this.#limit);
          size = Number(big);
        }
        this.#headGot = 0;
        this.#headNeed = 4;
        if (size > this.#limit) throw new FrameTooLarge(size, this.#limit);
        if (size === 0) {
          onMessage(Buffer.alloc(0));
          continue;
        }
        // Common case: the whole message is inside this chunk — no copy is needed.
        if (chunk.length - i >= size) {
          onMessage(chunk.subarray(i, i + size));
          i += size;
          continue;
        }
        this.#body = this.#allocBody(size);
        this.#bodyGot = 0;
      }
      const body = this.#body;
      const take = Math.min(body.length - this.#bodyGot, chunk.length - i);
      chunk.copy(body, this.#bodyGot, i, i + take);
      this.#bodyGot += take;
      i += take;
      if (this.#bodyGot === body.length) {
        this.#body = null;
        onMessage(body);
      }
    }
  }
}
