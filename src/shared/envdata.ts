// The worker tree's environment data (node:worker_threads' setEnvironmentData), published in one
// place (no CPython counterpart: a forked or spawned Python child gets what it needs in its
// preparation data). A Worker gets a copy of its parent thread's environment data when it is
// made; a worker booted ahead of time (a spawn spare, a forkserver worker) would miss what was
// published after its boot (a manager started since, or shut down), so each child's spec carries
// what this thread published and the child adopts it before it runs.

import { setEnvironmentData } from "node:worker_threads";

/** What this thread published, withdrawals (undefined) included, in order. */
const published = new Map<string, unknown>();
/** How many publications this thread has made (adoptions included). */
let version = 0;

/**
 * Sets environment data for the workers this thread starts from now on (and, through the
 * spec, for those booted earlier); `undefined` withdraws the key.
 */
export function publishEnv(key: string, value: unknown): void {
  setEnvironmentData(key, value as never);
  published.delete(key); // re-inserted last: adopting replays the latest order
  published.set(key, value);
  version++;
}

/** A number that changes with each publication: a long-lived worker needs the snapshot once it does. */
export function envVersion(): number {
  return version;
}

/** What a child started now must adopt (structured-cloneable: SharedArrayBuffers stay shared). */
export function envSnapshot(): [string, unknown][] {
  return [...published];
}

/** Adopts a parent's publications (a child, before it runs); they pass on to its own children. */
export function adoptEnvData(entries: readonly (readonly [string, unknown])[] | undefined): void {
  if (entries) for (const [k, v] of entries) publishEnv(k, v);
}
