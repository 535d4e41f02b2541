// Part of the shared_memory module (CPython Lib/multiprocessing/shared_memory.py, PSF-2.0): the
// program of the registry host, the thread that holds every segment's buffer (see registry.ts).
// It runs as plain JavaScript (eval'd, no library loaded), so this file only builds its source.

import { sleepWhilePlain } from "../shared/semlock.js";
import { kDoorbell, kForwarding, kHeaderCells, kHostAsleep } from "./directory.js";

const kPrefix = "multiprocessing-ts.shm.v3";
/** Each thread's first request (a hello that opens its own channel). */
export const kRequestChannel = `${kPrefix}.request`;
/** Requests to the main thread to start the host (sent by children). */
export const kBootChannel = `${kPrefix}.boot`;
/** Key of the directory in worker_threads environment data (inherited by every worker at boot). */
export const kEnvKey = `${kPrefix}.directory`;
/** Prefix of the threads' own channels. */
export const kThreadChannelPrefix = `${kPrefix}.thread`;

/** How often an idle host looks for hellos nobody rang for, in ms. */
const kIdlePollMs = 250;
/** Live segments an answer carries at most besides the one asked for. */
const kMaxExtras = 512;

/** Unlinked bytes that make the host collect at once; below that it collects after kCollectDelayMs. */
const kCollectBytes = 64 * 2 ** 20;
const kCollectDelayMs = 200;
const kMinorPerFull = 8;

/** Forwarded buffers a thread may have waiting unread, and their bytes at most (see forward()). */
const kForwardCount = 256;
const kForwardBytes = 16 * 2 ** 20;

/** Unlinked names the host remembers at most (for creates drained after their unlink). */
const kKilledMax = 16384;

/** Reply codes. */
export const Reply = { ok: 1, notFound: 2 } as const;
export type Reply = (typeof Reply)[keyof typeof Reply];

// The host's whole program. It sleeps on the doorbell; woken, it drains the hello channel and
// every thread's channel (receiveMessageOnPort: its event loop never runs) and answers each
// request on the asking thread's channel, then flips that thread's reply cell to the request's id.
// Messages on different channels may be handled in any order, so every segment has a generation
// (from the directory): a "create" that arrives after the "unlink" of its generation is dropped,
// an "unlink" of an older generation leaves a newer segment alone, and an "attach" whose "create"
// has not been drained yet waits for it (it was posted before the name became visible, so it is
// in a queue already).
//
// Forwarding: a thread that attached once is likely to attach again, so a new segment's buffer
// is posted to it as soon as the host drains the create (creates ring while such threads exist),
// usually before its name reaches that thread; its attach then finds the buffer in its own queue
// and needs no round trip. What a thread leaves unread holds the buffers alive, so a thread is
// forwarded at most kForwardCount buffers (kForwardBytes) it has not read yet: cell[1] is the
// sequence number of the last forward it read.
//
// Freeing: an unlinked segment's buffer lives on in the host's heap as garbage until the host's
// garbage collector runs, and an idle host never allocates enough to run it. So the host keeps a
// handle on V8's gc() (the flag is on only while it takes that handle: other threads' new contexts
// do not see a global gc) and collects after unlinks; its heap is tiny (~1 ms). Past kCollectBytes
// of small segments it takes a young-generation collection (a buffer created and unlinked while the
// host was busy died young: this frees it, for a fraction of a full collection), and a full one
// every kMinorPerFull of those, at once after a segment of kCollectBytes or more (it may have
// lived long), and whenever it goes quiet with a collection owed.
/** The registry host's whole program, eval'd in its worker (see above). */
export const hostSource = `"use strict";
const { BroadcastChannel, receiveMessageOnPort, workerData } = require("node:worker_threads");
const v8 = require("node:v8");
let collect = () => {};
try {
  v8.setFlagsFromString("--expose-gc");
  collect = require("node:vm").runInNewContext("gc");
} catch {}
finally { if (typeof globalThis.gc !== "function") v8.setFlagsFromString("--no-expose-gc"); }
const sleepWhile = ${sleepWhilePlain.toString()};
const cells = new Int32Array(workerData.directory, 0, ${kHeaderCells});
// Collect at once after big unlinks, lazily after small ones: a full collection per unlink would
// stall the requests queued behind it.
let freed = 0;
let minors = 0;
let bigFreed = false;
const collectSome = () => {
  freed = 0;
  if (!bigFreed && ++minors < ${kMinorPerFull}) collect({ type: "minor" });
  else collectAll();
};
const collectAll = () => { freed = 0; minors = 0; bigFreed = false; collect(); };
const segments = new Map(); // name -> { generation, sab }
const killed = new Map();   // name -> { generation, at }: the last unlinked generation, for late creates
const pending = new Map();  // name -> [[client, request]]: attaches waiting for their create
const clients = new Map();  // thread channel name -> { ch, cell, sent: Set of generations, closed, attacher, fwdSeq, pend, pendBytes }
const answer = (c, m, code, value, extra) => {
  c.ch.postMessage({ id: m.id, code, value, extra });
  // The reply was queued above, before the cell flips: the requester finds it as soon as it wakes.
  Atomics.store(c.cell, 0, m.id);
  Atomics.notify(c.cell, 0);
};
// The live segments this client was not sent yet (it keeps them weakly, for its next attaches).
const extras = (c) => {
  const out = [];
  for (const [name, s] of segments) {
    if (c.sent.has(s.generation)) continue;
    c.sent.add(s.generation);
    out.push([name, s.generation, s.sab]);
    if (out.length >= ${kMaxExtras}) break;
  }
  return out;
};
const tryAttach = (c, m) => {
  const cur = segments.get(m.name);
  if (cur !== undefined && cur.generation === m.generation) {
    c.sent.add(cur.generation);
    answer(c, m, ${Reply.ok}, cur.sab, extras(c));
    return true;
  }
  const k = killed.get(m.name);
  if ((cur !== undefined && cur.generation > m.generation) || (k !== undefined && k.generation >= m.generation)) {
    answer(c, m, ${Reply.notFound}); // unlinked since the requester's lookup
    return true;
  }
  return false;
};
const forward = (from, name, s) => {
  for (const o of clients.values()) {
    if (o === from || !o.attacher || o.closed || o.sent.has(s.generation)) continue;
    const read = Atomics.load(o.cell, 1);
    while (o.pend.length > 0 && o.pend[0][0] <= read) o.pendBytes -= o.pend.shift()[1];
    const bytes = s.sab.byteLength;
    if (o.pend.length >= ${kForwardCount} || o.pendBytes + bytes > ${kForwardBytes}) continue;
    o.pend.push([++o.fwdSeq, bytes]);
    o.pendBytes += bytes;
    o.sent.add(s.generation);
    o.ch.postMessage({ id: 0, seq: o.fwdSeq, fwd: [name, s.generation, s.sab] });
  }
};
const settle = (name) => {
  const waiting = pending.get(name);
  if (waiting === undefined) return;
  const rest = waiting.filter(([c, m]) => !c.closed && !tryAttach(c, m));
  if (rest.length) pending.set(name, rest); else pending.delete(name);
};
const onRequest = (c, m) => {
  if (m.op === "create") {
    const k = killed.get(m.name);
    if (k !== undefined && k.generation >= m.generation) return;
    const cur = segments.get(m.name);
    if (cur === undefined || cur.generation < m.generation) {
      const s = { generation: m.generation, sab: m.sab };
      segments.set(m.name, s);
      forward(c, m.name, s);
    }
    settle(m.name);
  } else if (m.op === "unlink") {
    const cur = segments.get(m.name);
    if (cur !== undefined && cur.generation === m.generation) {
      segments.delete(m.name);
      freed += cur.sab.byteLength;
      if (cur.sab.byteLength >= ${kCollectBytes}) bigFreed = true;
      for (const other of clients.values()) other.sent.delete(cur.generation);
    }
    const k = killed.get(m.name);
    if (k === undefined || k.generation < m.generation) {
      // Re-inserted, so that the map stays in unlink order: pruning stops at the first young entry.
      killed.delete(m.name);
      killed.set(m.name, { generation: m.generation, at: Date.now() });
    }
    // Forget unlinks older than 10 s, and the oldest past ${kKilledMax} (a create is late by
    // microseconds, not seconds). Pruned from the oldest: O(1) per unlink, where a full scan of a
    // map that grows with the unlink rate made the host burn a core.
    if (killed.size > 4096) {
      const old = Date.now() - 10000;
      for (const [n, v] of killed) {
        if (v.at >= old && killed.size <= ${kKilledMax}) break;
        killed.delete(n);
      }
    }
    settle(m.name);
  } else if (m.op === "attach") {
    if (!c.attacher) { c.attacher = true; Atomics.add(cells, ${kForwarding}, 1); }
    if (!tryAttach(c, m)) { const w = pending.get(m.name); if (w) w.push([c, m]); else pending.set(m.name, [[c, m]]); }
  } else if (m.op === "names") {
    answer(c, m, ${Reply.ok}, [...segments.keys()]);
  } else if (m.op === "bye") {
    c.closed = true;
    if (c.attacher) Atomics.sub(cells, ${kForwarding}, 1);
    c.ch.close();
    clients.delete(m.channel);
  }
};
const hello = new BroadcastChannel(${JSON.stringify(kRequestChannel)});
const onHello = (m) => {
  // A re-sent hello whose reply cell is already set was answered: ignore it.
  if (Atomics.load(m.cell, 0) >= m.id) return;
  let c = clients.get(m.channel);
  if (c === undefined) {
    c = { ch: new BroadcastChannel(m.channel), cell: m.cell, sent: new Set(), closed: false, attacher: false, fwdSeq: 0, pend: [], pendBytes: 0 };
    clients.set(m.channel, c);
  }
  if (m.then) onRequest(c, { ...m.then, id: m.id });
  else answer(c, m, ${Reply.ok}, workerData.directory);
};
const drain = () => {
  let n = 0;
  for (let got; (got = receiveMessageOnPort(hello)) !== undefined; n++) onHello(got.message);
  for (const c of clients.values()) {
    for (let got; !c.closed && (got = receiveMessageOnPort(c.ch)) !== undefined; n++) onRequest(c, got.message);
  }
  return n;
};
for (;;) {
  // Read before draining: a ring after this read makes the sleep below return at once.
  const seen = Atomics.load(cells, ${kDoorbell});
  if (drain() > 0) continue;
  if (freed >= ${kCollectBytes}) { collectSome(); continue; }
  if (freed > 0) {
    // A collection is owed: nap, and collect if nothing comes meanwhile.
    if (sleepWhile(cells, ${kDoorbell}, seen, ${kCollectDelayMs}) === "timed-out") collectAll();
    continue;
  }
  // Nothing owed: ask unlinks and goodbyes to ring from now on, then drain once more (one posted
  // before it saw the flag did not ring), then sleep until rung, or kIdlePollMs: a thread started
  // before the main thread loaded shared_memory has no doorbell, and its hello waits for this.
  Atomics.store(cells, ${kHostAsleep}, 1);
  if (drain() > 0) { Atomics.store(cells, ${kHostAsleep}, 0); continue; }
  sleepWhile(cells, ${kDoorbell}, seen, ${kIdlePollMs});
  Atomics.store(cells, ${kHostAsleep}, 0);
}
`;
