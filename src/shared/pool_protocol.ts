// The messages between a Pool (main side, pool.ts), its host worker (worker/pool_host.ts, which
// owns the piscina instance) and the task workers (worker/pool_worker.ts). Declared once here.

import type { GlobalRef } from "./reduction.js";
import type { PackedItems } from "./codec.js";

/** Cells of the Pool's control array: the host bumps kPosted after each message it posts. */
export const kPosted = 0;
export const kWorkerCounter = 16; // numbers the pool's workers: SpawnPoolWorker-N
export const kControlCells = 32;

/** Exit code a task worker uses to retire after maxtasksperchild tasks (the host retries the task). */
export const kRetireExitCode = 86;

/** What every task worker is started with (piscina's workerData). */
export interface PoolWorkerData {
  libraryEntry: string;
  /** Modules to import first (they define the initializer and the classes in initargs). */
  modules: string[];
  initializer: unknown; // reduced function or null
  initargs: unknown; // reduced array
  maxtasksperchild: number | null;
  control: Int32Array;
  parentName: string;
  parentPid: number;
}

/** One chunk of work for a task worker. */
export interface ChunkTask {
  fn: GlobalRef;
  /** The chunk's items (shared/codec.ts packItems). */
  items: PackedItems;
  /** starmap: each item is an argument list. */
  star: boolean;
  /** apply: keyword arguments, as one trailing object (or null). */
  kwargs: Uint8Array | null;
}

/** A failure, flattened so that it survives the trip (structured clone drops Error subclasses). */
export interface FlatError {
  name: string;
  /** The nearest Python builtin exception class among the error's bases ("Exception" if none). */
  base: string;
  message: string;
  args: Uint8Array | null;
  props: Uint8Array | null;
  stack: string;
  /** The worker's Python-style traceback. */
  traceback: string;
}

/** What a task worker returns for one chunk. */
export type ChunkResult = { ok: true; values: PackedItems } | { ok: false; error: FlatError };

/** Several chunks in one piscina task: piscina's per-task cost (a message and a wake-up) is
 * paid once per batch. Each chunk keeps its own result. */
export interface BatchTask {
  chunks: ChunkTask[];
}

/** Main → host. */
export type MainToHostMessage =
  | { op: "submit"; job: number; tasks: ChunkTask[]; cancellable: boolean }
  | { op: "cancel"; job: number }
  | { op: "close" }
  | { op: "terminate" }
  | { op: "stats" };

/** Host → main. */
export type HostToMainMessage =
  | { op: "results"; job: number; first: number; results: ChunkResult[] }
  | { op: "closed" }
  | { op: "stats"; stats: PoolStats };

/** piscina's figures for the pool (milliseconds; run and wait times are per batch of chunks). */
export interface PoolStats {
  /** Chunks (Python's tasks) completed. */
  completed: number;
  utilization: number;
  runTime: { mean: number; p50: number; p99: number; max: number };
  waitTime: { mean: number; p50: number; p99: number; max: number };
}
