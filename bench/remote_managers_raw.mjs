// The raw Node floor of bench/remote_managers.mjs: a manager server reduced to what a CPython
// client's proxy needs to put and get through a queue, on a bare node:net socket with no
// library: CPython's framing (4-byte big-endian length), its authkey handshake (HMAC-MD5 both
// ways, as Python 3.11's connection.py), and canned pickled replies chosen by a byte search
// of the request (no unpickling, no dispatch): 'create' gets an identifier and the exposed
// names, everything else ('incref', 'decref', 'accept_connection', 'put', 'get') gets
// ('#RETURN', None). What no server in Node can beat with this socket stack, the floor
// the goal row is judged against.
// Usage: node bench/remote_managers_raw.mjs <authkey>   prints "PORT <n>", serves until stdin closes.
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:net";

const authkey = Buffer.from(process.argv[2] ?? "");
const CHALLENGE = Buffer.from("#CHALLENGE#");
const WELCOME = Buffer.from("#WELCOME#");
const FAILURE = Buffer.from("#FAILURE#");
/** pickle (protocol 4) of ('#RETURN', None). */
const RETURN_NONE = Buffer.from("8004950e000000000000008c072352455455524e944e86942e", "hex");
/** pickle (protocol 4) of ('#RETURN', ('1', (queue.Queue's public method names))). */
const RETURN_CREATED = Buffer.from(
  "80049566000000000000008c072352455455524e948c013194288c05656d707479948c0466756c6c948c03676574948c0a6765745f6e6f77616974948c046a6f696e948c03707574948c0a7075745f6e6f77616974948c057173697a65948c097461736b5f646f6e65947494869486942e",
  "hex",
);
const CREATE = Buffer.from("create");

/** One frame: the 4-byte big-endian length and the payload, in one buffer (one write). */
function frame(payload) {
  const b = Buffer.allocUnsafe(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}
const REPLY_NONE = frame(RETURN_NONE);
const REPLY_CREATED = frame(RETURN_CREATED);
const md5 = (msg) => createHmac("md5", authkey).update(msg).digest();

const srv = createServer({ noDelay: true }, (sock) => {
  let buf = Buffer.alloc(0);
  // 0: our challenge sent, 1: our welcome sent, their challenge awaited, 2: their verdict awaited, 3: calls.
  let stage = 0;
  const challenge = randomBytes(20);
  sock.write(frame(Buffer.concat([CHALLENGE, challenge])));
  sock.on("data", (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const size = buf.readInt32BE(0);
      if (buf.length < 4 + size) break;
      const msg = buf.subarray(4, 4 + size);
      buf = buf.subarray(4 + size);
      if (stage === 3) sock.write(msg.includes(CREATE) ? REPLY_CREATED : REPLY_NONE);
      else if (stage === 0) {
        const ok = msg.equals(md5(challenge));
        sock.write(frame(ok ? WELCOME : FAILURE));
        if (!ok) return void sock.destroy();
        stage = 1;
      } else if (stage === 1) {
        sock.write(frame(md5(msg.subarray(CHALLENGE.length))));
        stage = 2;
      } else {
        if (!msg.equals(WELCOME)) return void sock.destroy();
        stage = 3;
      }
    }
  });
  sock.on("end", () => sock.end());
  sock.on("error", () => {});
});
srv.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${srv.address().port}\n`));
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
