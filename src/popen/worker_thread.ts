// Parent side of a child on a worker thread, whichever start method booted the worker
// (popen/spawn.ts, popen/forkserver.ts). The child reports its life through a shared status word
// (shared/protocol.ts), so wait() works while this thread's event loop is blocked; the worker's
// 'exit' event is a backstop for deaths the child could not report (a fatal error), seen whenever
// this thread's loop runs.

import { setEnvironmentData, Worker, type WorkerOptions } from "node:worker_threads";
import { pidOf } from "../shared/current.js";
import { kExitCodeField, kSignalField, kStatusField, kTsxInTreeKey, reportExit, Status, type ParentToChildSpec } from "../shared/protocol.js";
import { osThreadEnded, sleepMs, waitUntilChanged, waitUntilChangedAsync } from "../shared/semlock.js";

/** Cell of a spare's or warm worker's control array where the worker records its OS thread id. */
export const kTidCell = 1;
/** Cells of a spare's or warm worker's control array. */
export const kControlCells = 2;
/** How often join() looks whether a terminated thread has ended (it takes a few ms). */
const kEndedPollMs = 0.5;

/** The exit code to report when a worker's 'exit' event arrives: the signal's if it was terminated. */
export function exitCodeOf(status: Int32Array, code: number): number {
  const signal = Atomics.load(status, kSignalField);
  return signal !== 0 ? -signal : code;
}

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

/** Flags of the main program's own launch that take the next argument, and that a worker must not get. */
const kProgramFlagsWithValue = new Set(["-e", "--eval", "-p", "--print", "--input-type", "--watch-path"]);
/** Flags of the main program's own launch that a worker must not get. */
const kProgramFlags = new Set(["-i", "--interactive", "--test", "--watch", "-c", "--check"]);

/**
 * Node's own flags for the worker: the parent's, less what only describes how the main program
 * was launched. `-e`/`-p` with their code would make the worker run the parent's program instead
 * of the bootstrap; tsx's loader flags do nothing in a worker on Node 20 but cost ~150 ms.
 */
export function childExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = a.startsWith("--") ? a.replace(/=.*$/s, "") : a;
    if (kProgramFlagsWithValue.has(flag)) {
      if (flag === a) i++;
      continue;
    }
    if (kProgramFlags.has(flag)) continue;
    if ((a === "--require" || a === "--import" || a === "-r" || a === "--loader" || a === "--experimental-loader") && /tsx/.test(argv[i + 1] ?? "")) {
      i++;
      continue;
    }
    if (/^--(require|import|loader|experimental-loader)=.*tsx/.test(a)) continue;
    out.push(a);
  }
  return out;
}

/** True when `argv` (Node's flags) loads tsx's hooks: `--import tsx`, the tsx CLI's `--require`/`--import`. */
function loadsTsx(argv: readonly string[]): boolean {
  return argv.some((a, i) => (/^--(require|import|loader|experimental-loader)$|^-r$/.test(a) && /tsx/.test(argv[i + 1] ?? "")) || /^--(require|import|loader|experimental-loader)=.*tsx/.test(a));
}

// The program runs under tsx: every worker of the tree registers tsx (worker/tsx.ts), whatever
// its modules' extensions. Set only here, in the thread Node started with those flags; workers
// inherit it, and pass it on to the workers they start.
if (loadsTsx(process.execArgv)) setEnvironmentData(kTsxInTreeKey, true);

let workerExecArgv: string[] | null = null;

/**
 * `new Worker(url, options)` with this program's Node flags (childExecArgv()), less those a
 * worker refuses: per-process flags such as --max-old-space-size, --expose-gc, --stack-size,
 * --title or --abort-on-uncaught-exception make the constructor throw
 * ERR_WORKER_INVALID_EXEC_ARGV, naming them. They are dropped (the first time, then never
 * passed again) and the worker is created without them: they apply to the whole OS process,
 * children included, already.
 */
export function newWorker(url: URL | string, options: WorkerOptions): Worker {
  workerExecArgv ??= childExecArgv();
  for (let attempt = 0; ; attempt++) {
    try {
      return new Worker(url, { ...options, execArgv: workerExecArgv });
    } catch (err: any) {
      if (err?.code !== "ERR_WORKER_INVALID_EXEC_ARGV" || workerExecArgv.length === 0) throw err;
      const next = withoutRefusedFlags(workerExecArgv, String(err.message));
      // Nothing recognisable named (or no progress after many rounds): pass no flag at all.
      workerExecArgv = next.length < workerExecArgv.length && attempt < 16 ? next : [];
    }
  }
}

/** `argv` less the flags named in an ERR_WORKER_INVALID_EXEC_ARGV message (and their separate values). */
function withoutRefusedFlags(argv: string[], message: string): string[] {
  const named = new Set(
    message
      .replace(/^[^:]*:\s*/s, "")
      .split(/,\s*/)
      .map((f) => f.trim().replace(/=.*$/s, ""))
      .filter((f) => f.startsWith("-")),
  );
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!named.has(a.replace(/=.*$/s, ""))) {
      out.push(a);
      continue;
    }
    // `--title foo`: the value travels as its own entry.
    if (!a.includes("=") && i + 1 < argv.length && !argv[i + 1]!.startsWith("-")) i++;
  }
  return out;
}

/** The parent's handle on a worker thread that runs one child process. */
export class WorkerPopen implements Popen {
  readonly worker: Worker;
  readonly pid: number;
  readonly #status: Int32Array;
  readonly #control: Int32Array;

  /**
   * Adopts `worker`, which runs `spec` (whoever started it watches its 'exit' and reports it
   * with exitCodeOf()); `control` holds the worker's OS thread id at kTidCell.
   */
  constructor(spec: ParentToChildSpec, worker: Worker, control: Int32Array) {
    this.#status = spec.status;
    this.#control = control;
    this.worker = worker;
    this.pid = pidOf(this.worker.threadId);
  }

  poll(): number | null {
    if (Atomics.load(this.#status, kStatusField) === Status.exited) return Atomics.load(this.#status, kExitCodeField);
    const signal = Atomics.load(this.#status, kSignalField);
    // Terminated: the exit is reported only once the thread has ended, so that nothing the child
    // does can land after join() returned. A worker that never recorded its thread id (killed
    // before its first line) never ran the child's code.
    if (signal !== 0 && (Atomics.load(this.#control, kTidCell) === 0 || osThreadEnded(Atomics.load(this.#control, kTidCell)))) {
      reportExit(this.#status, -signal);
      return Atomics.load(this.#status, kExitCodeField);
    }
    return null;
  }

  wait(ms: number): number | null {
    const deadline = performance.now() + ms;
    for (;;) {
      const code = this.poll();
      if (code !== null) return code;
      const left = deadline - performance.now();
      if (left <= 0) return null;
      if (Atomics.load(this.#status, kSignalField) !== 0) {
        // A terminated thread ends within milliseconds, and nothing wakes us when it does.
        sleepMs(Math.min(left, kEndedPollMs));
        continue;
      }
      const s = Atomics.load(this.#status, kStatusField);
      if (s !== Status.exited && !waitUntilChanged(this.#status, kStatusField, s, left)) return this.poll();
    }
  }

  async waitAsync(ms: number): Promise<number | null> {
    const deadline = performance.now() + ms;
    for (;;) {
      const code = this.poll();
      if (code !== null) return code;
      const left = deadline - performance.now();
      if (left <= 0) return null;
      if (Atomics.load(this.#status, kSignalField) !== 0) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      const s = Atomics.load(this.#status, kStatusField);
      if (s !== Status.exited && !(await waitUntilChangedAsync(this.#status, kStatusField, s, left))) return this.poll();
    }
  }

  terminate(signal: number): void {
    if (this.poll() !== null) return;
    // The first signal wins (as the exit code of a process killed twice). V8 stops the thread's
    // JavaScript within microseconds of its next check, but the thread may be descheduled until
    // then: poll() reports the exit only once the OS thread is gone.
    if (Atomics.compareExchange(this.#status, kSignalField, 0, signal) !== 0) return;
    Atomics.notify(this.#status, kStatusField); // a join() already asleep switches to watching the thread
    void this.worker.terminate();
  }

  setRef(ref: boolean): void {
    if (ref) this.worker.ref();
    else this.worker.unref();
  }
}
