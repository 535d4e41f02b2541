// Parent side of the "forkserver" start method: warm workers that are already booted, with the
// library (and tsx) loaded and the target's modules imported, so start() only hands them a
// description of the process — CPython's popen_forkserver.py, where a server forks ready
// children. A worker whose child ended cleanly (no timers or handles left behind) goes back to
// the pool and serves the next start(); one that exited, crashed or was terminated is replaced.
// A program's first start() boots its worker before working out what to send (prepareForkserver),
// with nothing preloaded: that child imports its modules itself, as on a reused worker.
// Differs from Python: a reused worker keeps the module state its previous child left.

import { MessageChannel, type Worker, type MessagePort } from "node:worker_threads";
import { pidOf } from "../shared/current.js";
import { kBrand, reportExit, type ParentToChildSpec } from "../shared/protocol.js";
import { exitCodeOf, newWorker, kControlCells, WorkerPopen, type Popen } from "./worker_thread.js";

/** Control cell values of a warm worker. */
export const WarmState = { idle: 0, busy: 1, quit: 2 } as const;

/** workerData of a warm worker. */
export interface WarmSpec {
  [kBrand]: 1;
  warm: { control: Int32Array; port: MessagePort; preload: string[]; tsx: boolean; libraryEntry: string };
}

interface Warm {
  worker: Worker;
  control: Int32Array;
  port: MessagePort;
  generation: number;
  job: Int32Array | null;
  alive: boolean;
  /** performance.now() when a start() first found it idle since it was last claimed (null: not yet). */
  idleSince: number | null;
}

const kSpares = 2;
const pool: Warm[] = [];

function spawnWarm(bootstrapUrl: URL, preload: string[], tsx: boolean, libraryEntry: string): Warm {
  const control = new Int32Array(new SharedArrayBuffer(4 * kControlCells));
  const { port1, port2 } = new MessageChannel();
  const data: WarmSpec = {
    [kBrand]: 1,
    warm: { control, port: port2, preload, tsx, libraryEntry },
  };
  const worker = newWorker(bootstrapUrl, { workerData: data, transferList: [port2], stdout: false, stderr: false });
  const warm: Warm = { worker, control, port: port1, generation: 0, job: null, alive: true, idleSince: null };
  worker.on("error", () => {});
  worker.on("exit", (code) => {
    warm.alive = false;
    const i = pool.indexOf(warm);
    if (i >= 0) pool.splice(i, 1);
    if (warm.job) reportExit(warm.job, exitCodeOf(warm.job, code));
  });
  worker.unref();
  port1.unref();
  pool.push(warm);
  return warm;
}

/**
 * Idle workers beyond kMaxIdle are kept until they have been idle this long: a program that
 * starts 8 processes at a time, again and again, finds its 8 workers idle each time instead of
 * booting half of them anew (a boot costs a core ~90 ms, taken from the processes running).
 * (Idle since the first start() that found them so: the parent does not see them go idle.)
 */
const kMaxIdle = 4;
const kKeepRecentMs = 5000;

/** Takes an idle warm worker, or boots one. */
function claim(bootstrapUrl: URL, spec: ParentToChildSpec): Warm {
  for (const w of pool) {
    // Only an idle worker may be claimed; the compare-exchange keeps two parents' threads (or a
    // worker going idle) from both taking it.
    if (w.alive && Atomics.compareExchange(w.control, 0, WarmState.idle, WarmState.busy) === WarmState.idle) {
      w.idleSince = null;
      return w;
    }
  }
  const w = spawnWarm(bootstrapUrl, spec.modules, spec.tsx, spec.libraryEntry);
  Atomics.store(w.control, 0, WarmState.busy);
  return w;
}

/**
 * Boots a warm worker for the coming start() if none is idle, before the parent works out what
 * to send, so that the boot overlaps it (as spawn's prepareSpawn). It preloads nothing: the
 * child imports its modules when it is given its process, as a reused worker does.
 */
export function prepareForkserver(bootstrapUrl: URL, libraryEntry: string, tsx: boolean): void {
  if (!pool.some((w) => w.alive && Atomics.load(w.control, 0) === WarmState.idle)) spawnWarm(bootstrapUrl, [], tsx, libraryEntry);
}

/** The Popen of a process running on a warm worker. */
class WarmPopen extends WorkerPopen {
  override readonly pid: number;
  constructor(warm: Warm, spec: ParentToChildSpec, pid: number) {
    super(spec, warm.worker, warm.control);
    this.pid = pid;
  }
}

/** Starts `spec` on a warm worker and keeps spares booting for the next start(). */
export function forkserverStart(bootstrapUrl: URL, spec: ParentToChildSpec): Popen {
  const warm = claim(bootstrapUrl, spec);
  const pid = pidOf(warm.worker.threadId) + 1_000_000 * warm.generation++;
  warm.job = spec.status;
  const popen = new WarmPopen(warm, spec, pid);
  // The message is queued on the worker's port before the control word flips, so the worker
  // always finds it once it wakes.
  warm.port.postMessage({ ...spec, pid });
  Atomics.notify(warm.control, 0);
  // When the child's job is over, the worker flips its control word back to idle by itself.
  const idle = pool.filter((w) => w.alive && Atomics.load(w.control, 0) === WarmState.idle);
  for (let n = idle.length; n < kSpares; n++) spawnWarm(bootstrapUrl, spec.modules, spec.tsx, spec.libraryEntry);
  // Retire the surplus of idle workers that no start() has needed for a while.
  const now = performance.now();
  for (const w of idle) w.idleSince ??= now;
  for (const w of idle.slice(kMaxIdle)) {
    if (now - w.idleSince! < kKeepRecentMs) continue;
    if (Atomics.compareExchange(w.control, 0, WarmState.idle, WarmState.quit) === WarmState.idle) Atomics.notify(w.control, 0);
  }
  return popen;
}
