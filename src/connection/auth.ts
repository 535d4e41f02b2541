// Port of the authentication of CPython Lib/multiprocessing/connection.py (PSF-2.0):
// deliver_challenge / answer_challenge, in both of CPython's forms.
//   3.11 and older: the server sends b'#CHALLENGE#' + 20 random bytes; the client answers with
//     the raw 16-byte HMAC-MD5 of those bytes; the server answers b'#WELCOME#' or b'#FAILURE#'.
//   3.12+: the challenge is b'#CHALLENGE#{sha256}' + 40 random bytes, and the answer is
//     b'{sha256}' + HMAC-SHA256 of the whole message after '#CHALLENGE#' (prefix included). A
//     3.11 client answers such a challenge with a raw HMAC-MD5, which 3.12+ servers still accept.
// Our server sends the 3.12+ challenge and accepts both kinds of answer; our client answers
// either kind of challenge in its own form. So every pairing of 3.11, 3.12+ and ours agrees.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { AuthenticationError } from "../errors.js";
import { ValueError } from "../shared/pyerrors.js";
import { repr } from "../shared/format.js";

/** The part of a Connection the handshakes use. */
export interface ByteConnection {
  send_bytes(buf: Uint8Array): void;
  recv_bytes(maxlength: number): Buffer;
}

const kChallenge = Buffer.from("#CHALLENGE#");
const kWelcome = Buffer.from("#WELCOME#");
const kFailure = Buffer.from("#FAILURE#");
const kMessageLength = 40;
const kMd5OnlyMessageLength = 20;
const kMd5DigestLength = 16;
const kAllowedDigests = new Set(["md5", "sha256", "sha384", "sha3_256", "sha3_384"]);
const kMaxDigestNameLength = 8;
/** Node's name for each of Python's hashlib names. */
const nodeDigest = (name: string): string => (name.startsWith("sha3_") ? `sha3-${name.slice(5)}` : name);

function pyType(v: unknown): string {
  if (typeof v === "string") return "<class 'str'>";
  if (v === null || v === undefined) return "<class 'NoneType'>";
  if (typeof v === "number") return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  return `<class '${(v as object).constructor?.name ?? typeof v}'>`;
}

function checkKey(authkey: unknown): Buffer {
  if (!(authkey instanceof Uint8Array)) throw new ValueError(`Authkey must be bytes, not ${pyType(authkey)}`);
  return Buffer.from(authkey.buffer, authkey.byteOffset, authkey.byteLength);
}

const hmac = (key: Buffer, msg: Buffer, digest: string): Buffer => createHmac(nodeDigest(digest), key).update(msg).digest();

/** Python bytes repr of a message (for error texts). */
const bytesRepr = (b: Buffer): string => repr(b);

/** Splits a `{digest}payload` message; "" for the legacy (unprefixed) forms. */
function digestNameAndPayload(message: Buffer): [string, Buffer] {
  if (message.length === kMd5OnlyMessageLength || message.length === kMd5DigestLength) return ["", message];
  if (message[0] === 0x7b /* { */) {
    const curly = message.subarray(0, kMaxDigestNameLength + 2).indexOf(0x7d /* } */, 1);
    if (curly > 0) {
      const digest = message.subarray(1, curly).toString("latin1");
      if (kAllowedDigests.has(digest)) return [digest, message.subarray(curly + 1)];
    }
  }
  throw new AuthenticationError(`unsupported message length, missing digest prefix, or unsupported digest: message=${bytesRepr(message)}`);
}

function verify(authkey: Buffer, message: Buffer, response: Buffer): void {
  const [name, mac] = digestNameAndPayload(response);
  const digest = name || "md5";
  const expected = hmac(authkey, message, digest);
  if (expected.length !== mac.length) throw new AuthenticationError(`expected '${digest}' of length ${expected.length} got ${mac.length}`);
  if (!timingSafeEqual(expected, mac)) throw new AuthenticationError("digest received was wrong");
}

/**
 * Sends a random challenge to the other end and checks its answer (the server side of the
 * handshake; `Listener.accept()` runs it, then answer_challenge()).
 * @throws AuthenticationError "digest received was wrong" when the other end does not know
 * `authkey` (after telling it so); ValueError if `authkey` is not bytes.
 */
export function deliver_challenge(connection: ByteConnection, authkey: Uint8Array, digest_name: string = "sha256"): void {
  deliverChallenge(connection, authkey, digest_name, false);
}

// --- codec negotiation between two Node ends ---------------------------------------------------
// A Node end that can read the library's own codec says so by ending the random part of the
// challenge it delivers with kCodecOffer. Whoever answers a challenge MACs its bytes whatever
// they are (CPython 3.11-3.13 included), so a CPython peer answers as usual and never sees a
// difference; the MAC covers the marker, so nobody in between can add or remove it. Each end
// sees the other's challenge (the server's in answer_challenge, the client's in the server's
// answer_challenge), and both use the codec only if both offered it.

/** Ends a challenge's random bytes when its sender reads the library's codec. */
const kCodecOffer = Buffer.from("\u0000multiprocessing-ts:codec/1", "latin1");

/** @internal deliver_challenge() that can offer the codec; same exchange otherwise. */
export function deliverChallenge(connection: ByteConnection, authkey: Uint8Array, digest_name: string, offerCodec: boolean): void {
  const key = checkKey(authkey);
  const random = randomBytes(kMessageLength);
  const message = Buffer.concat(offerCodec ? [Buffer.from(`{${digest_name}}`, "ascii"), random, kCodecOffer] : [Buffer.from(`{${digest_name}}`, "ascii"), random]);
  connection.send_bytes(Buffer.concat([kChallenge, message]));
  const response = connection.recv_bytes(256); // reject large message
  try {
    verify(key, message, response);
  } catch (e) {
    connection.send_bytes(kFailure);
    throw e;
  }
  connection.send_bytes(kWelcome);
}

/**
 * Answers the other end's challenge (the client side of the handshake; `Client()` runs it,
 * then deliver_challenge()).
 * @throws AuthenticationError "digest sent was rejected" when the other end refuses our answer
 * (a different `authkey`); ValueError if `authkey` is not bytes.
 */
export function answer_challenge(connection: ByteConnection, authkey: Uint8Array): void {
  answerChallenge(connection, authkey);
}

/** @internal answer_challenge() that returns whether the challenge offered the codec. */
export function answerChallenge(connection: ByteConnection, authkey: Uint8Array): boolean {
  const key = checkKey(authkey);
  let message = connection.recv_bytes(256); // reject large message
  if (!message.subarray(0, kChallenge.length).equals(kChallenge)) throw new AuthenticationError(`Protocol error, expected challenge: message=${bytesRepr(message)}`);
  message = message.subarray(kChallenge.length);
  if (message.length < kMd5OnlyMessageLength) throw new AuthenticationError(`challenge too short: ${message.length} bytes`);
  const [name] = digestNameAndPayload(message);
  // The MAC covers the whole message, its {digest} prefix included (no downgrade possible).
  const answer = name ? Buffer.concat([Buffer.from(`{${name}}`, "ascii"), hmac(key, message, name)]) : hmac(key, message, "md5");
  connection.send_bytes(answer);
  const response = connection.recv_bytes(256); // reject large message
  if (!response.equals(kWelcome)) throw new AuthenticationError("digest sent was rejected");
  return message.length >= kMessageLength + kCodecOffer.length && message.subarray(message.length - kCodecOffer.length).equals(kCodecOffer);
}
