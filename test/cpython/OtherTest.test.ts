// Port of CPython's OtherTest (Lib/test/_test_multiprocessing.py): deliver_challenge and
// answer_challenge against a fake connection that answers nonsense.
import mp from "multiprocessing-ts";
import { answer_challenge, deliver_challenge } from "multiprocessing-ts/connection";
import { describe, expect, test } from "vitest";

/** multiprocessing.connection.CHALLENGE (not a public name of the port). */
const CHALLENGE = Buffer.from("#CHALLENGE#");
const bytes = (s: string): Buffer => Buffer.from(s, "latin1");

describe("OtherTest", () => {
  test("test_deliver_challenge_auth_failure: a bogus answer to the challenge raises AuthenticationError", () => {
    class _FakeConnection {
      recv_bytes(_size: number): Buffer {
        return bytes("something bogus");
      }
      send_bytes(_data: Uint8Array): void {}
    }
    expect(() => deliver_challenge(new _FakeConnection(), bytes("abc"))).toThrow(mp.AuthenticationError);
  });

  test("test_answer_challenge_auth_failure: a bogus reply after the challenge raises AuthenticationError", () => {
    class _FakeConnection {
      count = 0;
      recv_bytes(_size: number): Buffer {
        this.count += 1;
        if (this.count === 1) return CHALLENGE;
        else if (this.count === 2) return bytes("something bogus");
        return bytes("");
      }
      send_bytes(_data: Uint8Array): void {}
    }
    expect(() => answer_challenge(new _FakeConnection(), bytes("abc"))).toThrow(mp.AuthenticationError);
  });
});
