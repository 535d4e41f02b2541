// Caller side of the socket host (worker/connection_host.ts): starts this thread's host on first
// use and makes blocking requests to it without an event loop (post on a MessagePort, sleep on a
// shared counter with Atomics, drain the port with receiveMessageOnPort) — the pattern of
// pool/pool.ts with worker/pool_host.ts.

import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { esmDir } from "../popen/index.js";
import { childExecArgv } from "../popen/worker_thread.js";
import { waitWhile } from "../shared/semlock.js";
import { OSError, FileNotFoundError, ConnectionRefusedError, FileExistsError } from "../shared/pyerrors.js";
import { kControlCells, kHostGone, kPosted, type HostError, type Reply, type Request } from "./protocol.js";

type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

interface Host {
  worker: Worker;
  port: MessagePort;
  control: Int32Array;
  replies: Map<number, Reply>;
}

let host: Host | null = null;
let nextId = 1;

function theHost(): Host {
  if (host && Atomics.load(host.control, kHostGone) === 0) return host;
  const control = new Int32Array(new SharedArrayBuffer(4 * kControlCells));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL("worker/connection_host.js", esmDir), {
    workerData: { port: port2, control },
    transferList: [port2],
    execArgv: childExecArgv(),
    stdout: false,
    stderr: false,
  });
  worker.on("error", () => {});
  // Like CPython's sockets, an open Listener or connection does not keep the program alive.
  worker.unref();
  port1.unref();
  host = { worker, port: port1, control, replies: new Map() };
  return host;
}

/** Takes every reply that has arrived off the port. */
function drain(h: Host): void {
  for (;;) {
    const m = receiveMessageOnPort(h.port);
    if (!m) return;
    const r = m.message as Reply;
    h.replies.set(r.id, r);
  }
}

/**
 * Sends `body` to the host and blocks this thread until the reply (or `ms` milliseconds:
 * then null). Works on any thread, whether or not its event loop can turn.
 */
export function request(body: RequestBody, ms = Infinity): Reply | null {
  const h = theHost();
  const id = nextId++;
  h.port.postMessage({ ...body, id });
  const deadline = ms === Infinity ? Infinity : performance.now() + ms;
  for (;;) {
    // Load the counter before draining: a reply posted after the drain has bumped it, so the
    // wait below returns at once instead of sleeping past it.
    const seen = Atomics.load(h.control, kPosted);
    drain(h);
    const r = h.replies.get(id);
    if (r) {
      h.replies.delete(id);
      return r;
    }
    if (Atomics.load(h.control, kHostGone) !== 0) throw new OSError(`the connection host thread has ended (exit code ${Atomics.load(h.control, kHostGone) - 1})`);
    const left = deadline - performance.now();
    if (left <= 0) return null;
    waitWhile(h.control, kPosted, seen, left);
  }
}

/** Non-blocking twin of request(): the event loop turns while the host works. */
export async function requestAsync(body: RequestBody): Promise<Reply> {
  const h = theHost();
  const id = nextId++;
  h.port.postMessage({ ...body, id });
  for (;;) {
    const seen = Atomics.load(h.control, kPosted); // before draining: see request()
    drain(h);
    const r = h.replies.get(id);
    if (r) {
      h.replies.delete(id);
      return r;
    }
    if (Atomics.load(h.control, kHostGone) !== 0) throw new OSError(`the connection host thread has ended (exit code ${Atomics.load(h.control, kHostGone) - 1})`);
    const w = (Atomics as any).waitAsync(h.control, kPosted, seen, 1000);
    if (w.async) {
      // A pending waitAsync does not keep the event loop alive; the timer does.
      const keepAlive = setTimeout(() => {}, 1010);
      await w.value;
      clearTimeout(keepAlive);
    }
  }
}

/** Python's OSError subclass for a host error. */
export function toPyError(e: HostError): Error {
  if (e.code === "ECLOSED") return new OSError(e.message);
  const cls = e.code === "ECONNREFUSED" ? ConnectionRefusedError : e.code === "ENOENT" ? FileNotFoundError : e.code === "EEXIST" ? FileExistsError : OSError;
  return new cls(e.errno, e.message);
}

/** Throws the reply's error, if any. */
export function check<R extends Reply>(r: R | null): Exclude<R, { error: HostError }> {
  if (r === null) throw new OSError("timed out waiting for the connection host");
  if ("error" in r) throw toPyError(r.error);
  return r as Exclude<R, { error: HostError }>;
}
