// Parent side of starting a child on a worker thread: CPython's popen_spawn_posix.py.
// The child reports its life through a shared status word (shared/protocol.ts), so wait()
// works while this thread's event loop is blocked; the 'exit' event is a backstop for deaths the
// child could not report (a fatal error), seen whenever this thread's loop runs.

import { Worker } from "node:worker_threads";
import { pidOf } from "../shared/current.js";
import { kExitCodeField, kStatusField, reportExit, Status, type ParentToChildSpec } from "../shared/protocol.js";
import { waitUntilChanged, waitUntilChangedAsync } from "../shared/semlock.js";

/** SIGTERM and SIGKILL, reported as negative exit codes like CPython's. */
export const kSigterm = 15;
export const kSigkill = 9;

/** The worker_thread behind one child process. */
export interface Popen {
  readonly pid: number;
  readonly worker: Worker;
  /** The exit code, or null while running. */
  poll(): number | null;
  /** Waits up to `ms` (Infinity = forever); returns the exit code or null. */
  wait(ms: number): number | null;
  /** Non-blocking twin of wait(). */
  waitAsync(ms: number): Promise<number | null>;
  /** Stops the child: `signal` 15 reports -15, 9 reports -9. */
  terminate(signal: number): void;
  /** Keeps (or stops keeping) this process alive for the child's sake. */
  setRef(ref: boolean): void;
}

/** Node's own flags for the worker: tsx's loader flags are dropped (they do nothing in a worker on Node 20 but cost ~150 ms). */
export function childExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === "--require" || a === "--import" || a === "-r" || a === "--loader" || a === "--experimental-loader") && /tsx/.test(argv[i + 1] ?? "")) {
      i++;
      continue;
    }
    if (/^--(require|import|loader|experimental-loader)=.*tsx/.test(a)) continue;
    out.push(a);
  }
  return out;
}

/** Starts a worker on `bootstrapUrl` and watches it. */
export class WorkerPopen implements Popen {
  readonly worker: Worker;
  readonly pid: number;
  readonly #status: Int32Array;

  /** Starts a worker on `bootstrapUrl`, or adopts `existing` (a warm worker, watched by its pool). */
  constructor(bootstrapUrl: URL | null, spec: ParentToChildSpec, existing?: Worker) {
    this.#status = spec.status;
    if (existing) {
      this.worker = existing;
    } else {
      this.worker = new Worker(bootstrapUrl!, { workerData: spec, execArgv: childExecArgv(), stdout: false, stderr: false });
      WorkerPopen.watch(this.worker, this.#status);
    }
    this.pid = pidOf(this.worker.threadId);
  }

  /** Listens for the worker's end: a Worker 'error' without a listener would crash this process. */
  static watch(worker: Worker, status: Int32Array): void {
    worker.on("error", () => {
      // The bootstrap reports the child's own errors; what arrives here is a bootstrap failure,
      // already printed by the child. The exit code comes with the 'exit' event.
    });
    worker.on("exit", (code) => {
      reportExit(status, code);
    });
    // Children never keep this process alive by themselves: the exit hook in process.ts joins
    // the non-daemon ones and terminates the daemons, as CPython's _exit_function does.
    worker.unref();
  }

  poll(): number | null {
    return Atomics.load(this.#status, kStatusField) === Status.exited ? Atomics.load(this.#status, kExitCodeField) : null;
  }

  wait(ms: number): number | null {
    for (;;) {
      const s = Atomics.load(this.#status, kStatusField);
      if (s === Status.exited) return Atomics.load(this.#status, kExitCodeField);
      if (!waitUntilChanged(this.#status, kStatusField, s, ms)) return this.poll();
    }
  }

  async waitAsync(ms: number): Promise<number | null> {
    const deadline = performance.now() + ms;
    for (;;) {
      const s = Atomics.load(this.#status, kStatusField);
      if (s === Status.exited) return Atomics.load(this.#status, kExitCodeField);
      const left = deadline - performance.now();
      if (left <= 0 || !(await waitUntilChangedAsync(this.#status, kStatusField, s, left))) return this.poll();
    }
  }

  terminate(signal: number): void {
    if (this.poll() !== null) return;
    // The thread stops within a few milliseconds (V8 TerminateExecution); no code of the child
    // runs after this, so the parent records the signal exit itself.
    reportExit(this.#status, -signal);
    void this.worker.terminate();
  }

  setRef(ref: boolean): void {
    if (ref) this.worker.ref();
    else this.worker.unref();
  }
}
