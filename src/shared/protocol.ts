// What a parent tells a child when it starts it, and the cells of the shared status word.
// Declared once; popen/ writes it, worker/bootstrap.ts reads it.

/** Cells of a process's status array (Int32Array over a SharedArrayBuffer). */
export const kStatusField = 0;
export const kExitCodeField = 1;
/** The signal the parent's terminate()/kill() sent (0: none): the exit is reported once the thread has ended. */
export const kSignalField = 2;
export const kStatusFieldCount = 3;

/** Values of the status cell. */
export const Status = { starting: 0, running: 1, exited: 2 } as const;
export type Status = (typeof Status)[keyof typeof Status];

/** Brand that tells a worker it was started by this library. */
export const kBrand = "__multiprocessing_ts__";

/** The reduced description of what the child runs (see shared/reduction.ts). */
export interface RunSpec {
  /** Reduced `{ target, args, kwargs }`, or null when `instance` is set. */
  call: unknown;
  /** Reduced Process subclass instance: `{ cls, fields }`, or null. */
  instance: unknown;
}

/** workerData of a child process. */
export interface ParentToChildSpec {
  [kBrand]: 1;
  name: string;
  identity: number[];
  daemon: boolean;
  authkey: Uint8Array;
  startMethod: string;
  parentName: string;
  parentPid: number;
  /** The parent's own status cells: the child's parent_process().is_alive() reads them. */
  parentStatus: Int32Array;
  /** This child's status cells, written by the child as it runs and exits. */
  status: Int32Array;
  /** Modules to import before rebuilding `run` (they define the functions and classes in it). */
  modules: string[];
  run: RunSpec;
  /** True when a module to import is TypeScript: the child registers tsx first. */
  tsx: boolean;
  /** The library's own root module, loaded first in the child so every reducer is registered. */
  libraryEntry: string;
  /** The parent's worker-tree environment data (shared/envdata.ts), adopted before the child runs. */
  envData?: [string, unknown][];
  /** The program's entry module (a child that re-imports it names it `__mp_main__`). */
  mainUrl?: string | null;
  /** The child's pid, when the parent chose it (a reused forkserver worker); else from its thread id. */
  pid?: number;
}

/**
 * worker_threads environment-data key, set (true) when the main program runs with tsx's loader
 * flags (`node --import tsx`, the tsx CLI): every worker of the tree inherits it, and registers
 * tsx before importing the program's modules even when they are JavaScript, since a JavaScript
 * module may import TypeScript ones (a failed import cannot be retried once tsx is registered).
 */
export const kTsxInTreeKey = "multiprocessing-ts.tsx";

/** True if `url` names a TypeScript module that needs tsx in the worker. */
export function isTypeScriptUrl(url: string): boolean {
  return /\.(ts|mts|cts|tsx)$/.test(url.replace(/[?#].*$/, ""));
}

/** The exit-code cell before anyone has reported an exit. */
export const kNoExitCode = -0x80000000;

/** New status cells for a child that is about to start. */
export function newStatusCells(): Int32Array {
  const cells = new Int32Array(new SharedArrayBuffer(4 * kStatusFieldCount));
  cells[kExitCodeField] = kNoExitCode;
  return cells;
}

/**
 * Records how a process ended. The first report wins: a parent's terminate() and the child's
 * own exit can race, and the compare-exchange keeps them from overwriting each other.
 */
export function reportExit(cells: Int32Array, code: number): boolean {
  if (Atomics.compareExchange(cells, kExitCodeField, kNoExitCode, code) !== kNoExitCode) return false;
  Atomics.store(cells, kStatusField, Status.exited);
  Atomics.notify(cells, kStatusField);
  return true;
}
