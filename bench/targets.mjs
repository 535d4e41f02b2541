// The child processes of bench/ours.mjs (compiled-JavaScript style, as users ship them).
import mp from "multiprocessing-ts";
import { time } from "multiprocessing-ts/py";

const now = () => time.perf_counter();

export function startTarget(conn) {
  const t = now();
  conn.send(t);
  conn.close();
}

export function emptyTarget() {}

export function contendedChild(v, n, start, ready, conn) {
  ready.release();
  start.wait();
  const lock = v.get_lock();
  const t0 = now();
  for (let i = 0; i < n; i++) {
    lock.acquire();
    v.value += 1;
    lock.release();
  }
  conn.send([t0, now()]);
  conn.close();
}

export function contendedWithChild(v, n, start, ready, conn) {
  ready.release();
  start.wait();
  const lock = v.get_lock();
  const inc = () => {
    v.value += 1;
  };
  const t0 = now();
  for (let i = 0; i < n; i++) lock.with(inc);
  conn.send([t0, now()]);
  conn.close();
}

export function arrayChild(arr, n, conn) {
  let t0 = now();
  let s = 0;
  for (let i = 0; i < n; i++) s += arr[i];
  const tRead = now() - t0;
  t0 = now();
  for (let i = 0; i < n; i++) arr[i] = i + 1;
  const tWrite = now() - t0;
  const raw = arr.get_obj ? arr.get_obj() : null;
  let tObjRead = 0;
  let tObjWrite = 0;
  let s2 = 0;
  if (raw) {
    t0 = now();
    for (let i = 0; i < n; i++) s2 += raw[i];
    tObjRead = now() - t0;
    t0 = now();
    for (let i = 0; i < n; i++) raw[i] = i + 1;
    tObjWrite = now() - t0;
  }
  t0 = now();
  const snap = arr.slice();
  const tBulkRead = now() - t0;
  t0 = now();
  arr.set_slice(null, null, snap);
  const tBulkWrite = now() - t0;
  conn.send([tRead, tWrite, tObjRead, tObjWrite, tBulkRead, tBulkWrite, s, s2]);
  conn.close();
}

export function eventChild(ping, pong, n) {
  for (let i = 0; i < n; i++) {
    ping.wait();
    ping.clear();
    pong.set();
  }
}

export function qProducer(q, kind, n, start, ready, conn) {
  const payload = Buffer.alloc(1024, "x");
  ready.release();
  start.wait();
  const t0 = now();
  if (kind === "int") for (let i = 0; i < n; i++) q.put(i);
  else for (let i = 0; i < n; i++) q.put(payload);
  q.put(null);
  conn.send(t0);
  conn.close();
}

export function qConsumer(q, kind, start, ready, conn) {
  ready.release();
  start.wait();
  let count = 0;
  let total = 0;
  for (;;) {
    const x = q.get();
    if (x === null) break;
    total += kind === "int" ? x : x.length;
    count++;
  }
  conn.send([now(), count, total]);
  conn.close();
}

export function pipeProducer(c, kind, n, start, ready, conn) {
  const payload = Buffer.alloc(1024, "x");
  ready.release();
  start.wait();
  const t0 = now();
  if (kind === "int") {
    for (let i = 0; i < n; i++) c.send(i);
    c.send(null);
  } else if (kind === "bytes") {
    for (let i = 0; i < n; i++) c.send(payload);
    c.send(null);
  } else {
    for (let i = 0; i < n; i++) c.send_bytes(payload);
    c.send_bytes(Buffer.alloc(0));
  }
  conn.send(t0);
  conn.close();
}

export function pipeConsumer(c, kind, start, ready, conn) {
  ready.release();
  start.wait();
  let count = 0;
  let total = 0;
  if (kind === "raw") {
    for (;;) {
      const x = c.recv_bytes();
      if (x.length === 0) break;
      total += x.length;
      count++;
    }
  } else {
    for (;;) {
      const x = c.recv();
      if (x === null) break;
      total += kind === "int" ? x : x.length;
      count++;
    }
  }
  conn.send([now(), count, total]);
  conn.close();
}

export function pipeEcho(c, n) {
  for (let i = 0; i < n; i++) c.send(c.recv());
}

export function semChild(sem, n, start, ready, conn) {
  ready.release();
  start.wait();
  const t0 = now();
  for (let i = 0; i < n; i++) {
    sem.acquire();
    sem.release();
  }
  conn.send([t0, now()]);
  conn.close();
}

void mp;

export function sq(x) {
  return x * x;
}

/** The CPU-bound task of limits.mjs and piscina_baseline.mjs (int32 loop, ~45-60 ms). */
export function cpu(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + (i ^ (i >>> 3))) | 0;
  return s;
}

/** Sleeps `s` seconds, then returns the pid of the process (worker) that ran it. */
export function sleepPid(s) {
  time.sleep(s);
  return mp.current_process().pid;
}
