// The messages between a Pool (main side, pool.ts), its host worker (worker/pool_host.ts, which
// owns the piscina instance) and the task workers (worker/pool_worker.ts). Declared once here.

import type { GlobalRef } from "./reduction.js";
import type { PackedItems } from "./codec.js";

/** Cells of the Pool's control array: the host bumps kPosted after each message it posts. */
export const kPosted = 0;
/**
 * The job whose completion the caller is blocked on, or kAnyMessage: the host wakes the caller
 * only for what it waits for (a blocked map() sleeps through its chunks' results and is woken
 * once, when the last one is in), and always for messages other than results.
 */
export const kWaitFor = 8;
export const kAnyMessage = -1;
/** Set by the host thread as it exits (1 + its exit code): a caller waiting for a host that died
 * without saying "closed" raises instead of waiting forever. */
export const kHostGone = 12;
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

/**
 * A task's function: an exported function or class by reference, or a callable object (Python's
 * `__call__` protocol): its exported class by reference and the instance encoded in `self`.
 */
export type TaskFunction = GlobalRef & { self?: Uint8Array };

/**
 * A job as the Pool sends it to its host: the function, and the items either all in one packed
 * list (`flat`, when every item is a primitive: chunk k is items k*chunksize up to
 * (k+1)*chunksize) or one packed list per chunk (`chunks`, for items that must be encoded).
 */
export interface JobSpec {
  fn: TaskFunction;
  /** starmap: each item is an argument list. */
  star: boolean;
  /** apply: keyword arguments, as one trailing object (or null). */
  kwargs: Uint8Array | null;
  chunksize: number;
  /** Number of chunks. */
  count: number;
  flat: PackedItems | null;
  chunks: PackedItems[] | null;
  /** The worker-tree environment data published since the Pool was made (shared/envdata.ts), or null. */
  env: [string, unknown][] | null;
}

/**
 * Consecutive chunks of one job, run by a task worker in one go: their items in one packed list,
 * chunk k of the run being items k*chunksize up to (k+1)*chunksize (chunksize 0: the run is one
 * chunk).
 */
export interface ChunkRun {
  fn: TaskFunction;
  star: boolean;
  kwargs: Uint8Array | null;
  chunksize: number;
  items: PackedItems;
  /** JobSpec's env: adopted before the chunks run (a manager started after the worker booted). */
  env: [string, unknown][] | null;
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

/**
 * What a task worker returns for a run: every item's result in one packed list, in order (the
 * places of a failed chunk hold null), and the failed chunks by their index in the run.
 */
export interface RunResult {
  values: PackedItems;
  failures: Array<[number, FlatError]>;
}

/** Several runs in one piscina task: piscina's per-task cost (a message and a wake-up) is paid
 * once per batch. Each chunk still succeeds or fails on its own. */
export interface BatchTask {
  runs: ChunkRun[];
}

/**
 * One chunk of a job whose chunks the workers claim themselves (long chunks of a job of
 * primitives): the task names no chunk; the worker takes the next one from the job's shared
 * cursor when the task starts, and finds none if the other workers took them all meanwhile.
 */
export interface ClaimTask {
  /** The job's whole list of items, with its chunksize: chunk k is items k*chunksize up to (k+1)*chunksize. */
  run: ChunkRun;
  /** Number of chunks in the job. */
  count: number;
  /** Cell 0: the next chunk to hand out (shared by the host and every worker). */
  cursor: Int32Array;
  /** Cell 0: the chunk this task claimed, -1 until it claims one: what a crash or abort of the task loses. */
  slot: Int32Array;
}

/** What a task worker returns for a ClaimTask: the chunk it ran (-1: none was left) and how long it took (ms). */
export interface ClaimResult {
  chunk: number;
  ms: number;
  result: RunResult | null;
}

/** A piscina task of a Pool. */
export type PoolTask = BatchTask | { claim: ClaimTask };

/** Main → host. */
export type MainToHostMessage =
  | { op: "submit"; job: number; spec: JobSpec; cancellable: boolean }
  | { op: "cancel"; job: number }
  | { op: "close" }
  | { op: "terminate" }
  | { op: "stats" };

/** Host → main. */
export type HostToMainMessage =
  /** Results of `count` consecutive chunks of a job from `first`: values split by `chunksize` (0: one chunk), or all failed with `error`. */
  | { op: "results"; job: number; first: number; count: number; chunksize: number; values: PackedItems | null; failures: Array<[number, FlatError]>; error?: FlatError }
  | { op: "closed" }
  | { op: "stats"; stats: PoolStats };

/**
 * piscina's figures for the pool (milliseconds). Run and wait times are per piscina task: a batch
 * of short chunks, or one claimed long chunk (a claim that found every chunk taken counts too,
 * with a run time near 0).
 */
export interface PoolStats {
  /** Chunks (Python's tasks) completed. */
  completed: number;
  utilization: number;
  runTime: { mean: number; p50: number; p99: number; max: number };
  waitTime: { mean: number; p50: number; p99: number; max: number };
}
