// Parent side of the "spawn" start method: CPython's popen_spawn_posix.py. Every process runs on
// a fresh worker thread that serves it alone and ends with it.
//
// Booting a worker (~40 ms here) and loading the library in it (~45 ms) is most of a spawn's
// cost, and none of it depends on the process being started. So, as a shell keeps a fresh
// interpreter ready, this module keeps one *spare*: a worker booted ahead of time with the library
// (and tsx, when the last child needed it) loaded, but none of the program's modules imported.
// start() hands the spare its process description and boots the next spare in the background
// (from the second start() on: a program that starts a single process gets no spare; its first
// start() boots its worker before working out what to send, so that the two overlap);
// the child then imports the program's modules and runs, exactly as a cold spawn does, so its
// module state is as fresh as a new interpreter's.
// Differs from Python: after the second spawn an idle worker thread (~10 MB) waits for the next
// start(); it never keeps the program alive and ends with it.

import { MessageChannel, type Worker, type MessagePort } from "node:worker_threads";
import { kBrand, reportExit, type ParentToChildSpec } from "../shared/protocol.js";
import { exitCodeOf, newWorker, kControlCells, WorkerPopen, type Popen } from "./worker_thread.js";

/** Control cell values of a spare worker. */
export const SpareState = { waiting: 0, claimed: 1, quit: 2 } as const;

/** workerData of a spare worker. */
export interface SpareSpec {
  [kBrand]: 1;
  spare: {
    control: Int32Array;
    port: MessagePort;
    tsx: boolean;
    libraryEntry: string;
    /** Status cells of the child started when this spare was booted: the spare waits for it to be running before loading the library, so that the two do not share the CPU while the child starts. */
    after: Int32Array | null;
  };
}

/** What the parent posts to the spare it claims. */
export interface SpareJob {
  spec: ParentToChildSpec;
  /** The parent's environment at start(): a worker's copy of process.env dates from its boot. */
  env: Record<string, string | undefined>;
}

interface Spare {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly port: MessagePort;
  readonly libraryEntry: string;
  readonly tsx: boolean;
  /** The status cells of the process it runs, once claimed. */
  job: Int32Array | null;
  alive: boolean;
}

let spare: Spare | null = null;
/** How many processes this thread has started with "spawn". */
let starts = 0;

function bootSpare(bootstrapUrl: URL, libraryEntry: string, tsx: boolean, after: Int32Array | null): Spare {
  const control = new Int32Array(new SharedArrayBuffer(4 * kControlCells));
  const { port1, port2 } = new MessageChannel();
  const data: SpareSpec = { [kBrand]: 1, spare: { control, port: port2, tsx, libraryEntry, after } };
  const worker = newWorker(bootstrapUrl, { workerData: data, transferList: [port2], stdout: false, stderr: false });
  const s: Spare = { worker, control, port: port1, libraryEntry, tsx, job: null, alive: true };
  worker.on("error", () => {
    // A failure of the child's own code is reported by the bootstrap; what arrives here is a
    // bootstrap failure, already printed. The exit code comes with the 'exit' event.
  });
  worker.on("exit", (code) => {
    s.alive = false;
    if (spare === s) spare = null;
    if (s.job) reportExit(s.job, exitCodeOf(s.job, code));
  });
  // Neither a spare nor a child keeps this process alive by itself: the exit hook in process.ts
  // joins the non-daemon children and terminates the daemons, as CPython's _exit_function does.
  worker.unref();
  port1.unref();
  return s;
}

/** Asks an unclaimed spare to exit. */
function retire(s: Spare): void {
  if (Atomics.compareExchange(s.control, 0, SpareState.waiting, SpareState.quit) === SpareState.waiting) Atomics.notify(s.control, 0);
}

/**
 * Boots a worker for the coming start() if there is no spare, before the parent works out what
 * to send (the first lookup of a target replays the inspector's script list, tens of ms): the
 * boot, on another core, overlaps it. `tsx`: a guess (the caller's module is TypeScript); a child
 * that needs tsx all the same registers it when it imports its modules.
 */
export function prepareSpawn(bootstrapUrl: URL, libraryEntry: string, tsx: boolean): void {
  if (spare === null || !spare.alive) spare = bootSpare(bootstrapUrl, libraryEntry, tsx, null);
}

/** Starts `spec` on a fresh worker (the spare, when one is ready) and boots the next spare. */
export function spawnStart(bootstrapUrl: URL, spec: ParentToChildSpec): Popen {
  let s = spare;
  spare = null;
  if (s && (!s.alive || s.libraryEntry !== spec.libraryEntry)) {
    retire(s);
    s = null;
  }
  // A spare still loading the library is taken all the same: it is further along than a new one.
  s ??= bootSpare(bootstrapUrl, spec.libraryEntry, spec.tsx, null);
  s.job = spec.status;
  // The job is queued on the port before the control word flips, so the spare always finds it
  // once it wakes.
  s.port.postMessage({ spec, env: { ...process.env } } satisfies SpareJob);
  Atomics.store(s.control, 0, SpareState.claimed);
  Atomics.notify(s.control, 0);
  // From the second start() on: a program that starts one process does not pay for a spare, and
  // its only child does not share the CPU with one while it boots.
  if (++starts > 1) spare = bootSpare(bootstrapUrl, spec.libraryEntry, spec.tsx, spec.status);
  return new WorkerPopen(spec, s.worker, s.control);
}
