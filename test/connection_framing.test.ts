// CPython's message framing (connection/framing.ts): a 4-byte signed big-endian length, and the
// -1 + 8-byte form for messages above 2 GiB - 1, read incrementally from arbitrary chunks.
import { describe, expect, test } from "vitest";
import { FrameReader, FrameTooLarge, BadFrame, frameHeader } from "../dist/connection/framing.js";

const frame = (payload: Buffer, long = false) => {
  if (!long) return Buffer.concat([frameHeader(payload.length), payload]);
  const h = Buffer.alloc(12);
  h.writeInt32BE(-1, 0);
  h.writeBigUInt64BE(BigInt(payload.length), 4);
  return Buffer.concat([h, payload]);
};

function readAll(bytes: Buffer, chunk: number, limit = Infinity): Buffer[] {
  const r = new FrameReader(limit);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) r.push(bytes.subarray(i, i + chunk), (p) => out.push(Buffer.from(p)));
  expect(r.partial).toBe(false);
  return out;
}

describe("framing", () => {
  test("headers are 4 bytes up to 2 GiB - 1 and -1 plus 8 bytes above, as CPython writes them", () => {
    expect(frameHeader(5).toString("hex")).toBe("00000005");
    expect(frameHeader(0x7fffffff).toString("hex")).toBe("7fffffff");
    expect(frameHeader(0x80000000).toString("hex")).toBe("ffffffff0000000080000000");
    expect(frameHeader(5 * 2 ** 30).toString("hex")).toBe("ffffffff0000000140000000");
    expect(() => frameHeader(-1)).toThrow(RangeError);
  });

  test("messages come out whole and in order whatever the chunking, empty ones included", () => {
    const msgs = [Buffer.from("a"), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from("last")];
    const bytes = Buffer.concat([...msgs.slice(0, 2).map((m) => frame(m)), frame(msgs[2]!, true), frame(msgs[3]!)]);
    const hex = (bs: Buffer[]) => bs.map((b) => b.toString("hex"));
    for (const chunk of [1, 3, 4, 5, 11, 12, 13, 4096, bytes.length]) expect(hex(readAll(bytes, chunk))).toEqual(hex(msgs));
  });

  test("a message over the limit is refused from its header, before its body is buffered", () => {
    const r = new FrameReader(10);
    expect(() => r.push(frameHeader(11), () => {})).toThrow(FrameTooLarge);
    const huge = Buffer.alloc(12);
    huge.writeInt32BE(-1, 0);
    huge.writeBigUInt64BE(3n * 2n ** 30n, 4); // 3 GiB announced, nothing allocated
    expect(() => new FrameReader(2 ** 31).push(huge, () => {})).toThrow(/3221225472 bytes/);
  });

  test("a negative length other than -1 is a bad frame", () => {
    const h = Buffer.alloc(4);
    h.writeInt32BE(-2, 0);
    expect(() => new FrameReader().push(h, () => {})).toThrow(BadFrame);
  });
});
