// What the distributed Pool's parts say to each other: the caller (distributed/pool.ts), its host
// thread (worker/distributed_host.ts, which owns the BullMQ queue), the worker processes
// (worker/distributed_worker.ts, the `multiprocessing-ts worker` command) and their task threads
// (worker/distributed_task.ts). The Redis keys of a Pool are named here too. No CPython
// counterpart: CPython's Pool talks to its workers over pipes (pool.py's task and result queues).

import type { FlatError } from "./pool_protocol.js";

/** Cells of the caller's control array: the host bumps kPosted after each message it posts. */
export const kPosted = 0;
/** Set by the host thread as it exits (1 + its exit code). */
export const kHostGone = 1;
export const kControlCells = 4;

/** The BullMQ queue a Pool and a `multiprocessing-ts worker` use when none is named. */
export const kDefaultQueue = "multiprocessing-ts";
/** BullMQ's own default key prefix. */
export const kDefaultPrefix = "bull";
/** How long (seconds) a Pool's keys outlive its last sign of life (the host renews them every second). */
export const kKeyTtl = 60;

/** Lock duration and stalled-check interval of the workers, in ms (BullMQ's defaults are 30 s each). */
export const kDefaultLockMs = 10_000;
export const kDefaultStalledMs = 5_000;
/** How many times a job may lose its worker before it fails (BullMQ's default is 1). */
export const kMaxStalledCount = 3;

/** The keys of one Pool: every one carries the Pool's id, so that any number of Pools share one Redis. */
export function poolKeys(prefix: string, queue: string, poolId: string): { alive: string; config: string; results: string } {
  const base = `${prefix}:${queue}:mp:${poolId}`;
  return { alive: `${base}:alive`, config: `${base}:config`, results: `${base}:results` };
}

/** The channel on which Pools tell the workers of a queue to drop a terminated Pool's running tasks. */
export function controlChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:mp:control`;
}

/** A chunk's BullMQ job id: `<pool>.<job>.<chunk>` (BullMQ refuses ':' and plain integers). */
export function jobIdOf(poolId: string, job: number, chunk: number): string {
  return `${poolId}.${job}.${chunk}`;
}

/**
 * Pushes a result to its Pool's list only while the Pool is alive (a terminated Pool's keys are
 * gone, and its late results must not bring them back): KEYS[1] alive, KEYS[2] results.
 */
export const kPushResultLua = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('rpush', KEYS[2], ARGV[1]) end return -1`;

/** A chunk as stored in its BullMQ job (JSON, so bytes travel in base64). */
export interface JobData {
  /** Pool id. */
  p: string;
  /** Job number in the Pool, and chunk number in the job. */
  j: number;
  k: number;
  /** The function: its module (relative to the project root, or absolute) and export path. */
  m: string;
  f: string;
  /** 1: starmap/apply (each item is an argument list). */
  s: 0 | 1;
  /** apply's keyword arguments, encoded, base64 ("" if none). */
  w: string;
  /** The chunk's items, reduced and encoded, base64. */
  x: string;
}

/**
 * A Pool's settings for its workers (stored encoded under its `config` key): the initializer and
 * its arguments, reduced (functions and classes by module + export name), the modules they need,
 * and maxtasksperchild.
 */
export interface PoolConfig {
  initializer: unknown;
  initargs: unknown;
  modules: string[];
  maxtasksperchild: number | null;
}

/** What the caller gives its host thread. */
export interface HostData {
  control: Int32Array;
  connection: string | Record<string, unknown>;
  queue: string;
  prefix: string;
  poolId: string;
  /** Local worker processes to start and keep running. */
  processes: number;
  /** The command line of a local worker process: `node <bin> worker ...`. */
  workerArgv: string[];
  /** The Pool's encoded PoolConfig. */
  config: Uint8Array;
  /** ms without Redis before waits raise. */
  redisTimeoutMs: number;
}

/** Caller → host. `chunks`: each chunk's encoded items. */
export type MainToHost =
  | { op: "submit"; job: number; module: string; path: string; star: boolean; kwargs: Uint8Array | null; chunks: Uint8Array[] }
  | { op: "close" }
  | { op: "terminate" };

/**
 * Host → caller. A result entry is an 8-byte header (job, chunk: uint32 LE) followed by the
 * encoded `[ok, value]`: the chunk's list of results, or its FlatError.
 */
export type HostToMain =
  | { op: "results"; entries: Uint8Array[] }
  | { op: "failed"; job: number; chunk: number; error: FlatError }
  | { op: "broken"; message: string }
  | { op: "closed" };

/** Caller's task-thread message (worker process → task thread). */
export interface TaskMessage {
  pool: string;
  job: number;
  chunk: number;
  /** The Pool's encoded PoolConfig (its initializer runs the first time this thread runs one of its chunks). */
  config: Uint8Array;
  module: string;
  path: string;
  star: boolean;
  kwargs: Uint8Array | null;
  items: Uint8Array;
}

/** Writes a result entry's header. */
export function entryHeader(job: number, chunk: number): Buffer {
  const h = Buffer.allocUnsafe(8);
  h.writeUInt32LE(job, 0);
  h.writeUInt32LE(chunk, 4);
  return h;
}
