// The process-start targets again, as a TypeScript module: children register tsx to load it.
import type mp from "multiprocessing-ts";
import { time } from "multiprocessing-ts/py";

export function startTarget(conn: mp.Connection): void {
  const t = time.perf_counter();
  conn.send(t);
  conn.close();
}

export function emptyTarget(): void {}
