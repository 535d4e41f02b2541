// The host of a Pool: a worker thread that owns the piscina instance. piscina dispatches on its
// thread's event loop; the Pool's caller may block its own thread (main included) in map() or
// get(), so piscina cannot live there. Requests arrive on a MessagePort (this thread's event loop
// is always free); each result is posted back on the port and announced through a shared
// counter, which the blocked caller waits on with Atomics.wait and then drains with
// receiveMessageOnPort — no event loop needed on the caller's side (piscina-host.md).

import { workerData, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import { patchStdioSync } from "../shared/stdio.js";
import { kPosted, kRetireExitCode, type ChunkResult, type HostToMainMessage, type MainToHostMessage, type PoolWorkerData } from "../shared/pool_protocol.js";

patchStdioSync();

const { port, control, processes, poolWorkerData } = workerData as {
  port: MessagePort;
  control: Int32Array;
  processes: number;
  poolWorkerData: PoolWorkerData;
};

const pool = new Piscina({
  filename: new URL("./pool_worker.js", import.meta.url).href,
  minThreads: processes,
  maxThreads: processes,
  idleTimeout: Infinity,
  workerData: poolWorkerData,
  recordTiming: true,
});

function post(msg: HostToMainMessage): void {
  port.postMessage(msg);
  // Announce after posting: the caller reads the counter, then drains the port.
  Atomics.add(control, kPosted, 1);
  Atomics.notify(control, kPosted);
}

let outstanding = 0;
let closing = false;
let finished = false;

/** One AbortController per job that may be cancelled; aborting drops its queued chunks and stops its running ones. */
const controllers = new Map<number, AbortController>();

async function runChunk(job: number, chunk: number, task: MainToHostMessage & { op: "submit" }): Promise<void> {
  let controller = controllers.get(job);
  if (!controller) controllers.set(job, (controller = new AbortController()));
  for (let tries = 0; ; tries++) {
    let result: ChunkResult;
    try {
      result = await pool.run(task.task, { signal: controller.signal });
    } catch (err: any) {
      if (controller.signal.aborted) {
        result = { ok: false, error: { name: "AbortError", base: "Exception", message: "The task was cancelled by its AbortSignal", args: null, props: null, stack: "", traceback: "AbortError: The task was cancelled by its AbortSignal\n" } };
        if (!finished) post({ op: "result", job, chunk, result });
        return;
      }
      // A worker that retired (maxtasksperchild) before running this chunk: run it again.
      if (String(err?.message).includes(`worker exited with code: ${kRetireExitCode}`) && tries < 1000) continue;
      result = { ok: false, error: { name: "RuntimeError", base: "RuntimeError", message: String(err?.message ?? err), args: null, props: null, stack: "", traceback: String(err?.stack ?? err) } };
    }
    if (!finished) post({ op: "result", job, chunk, result });
    return;
  }
}

async function finish(): Promise<void> {
  if (finished) return;
  finished = true;
  await pool.destroy();
  post({ op: "closed" });
  port.close();
}

function maybeFinish(): void {
  if (closing && outstanding === 0) void finish();
}

port.on("message", (msg: MainToHostMessage) => {
  switch (msg.op) {
    case "submit":
      outstanding++;
      void runChunk(msg.job, msg.chunk, msg).finally(() => {
        outstanding--;
        maybeFinish();
      });
      return;
    case "cancel":
      controllers.get(msg.job)?.abort();
      return;
    case "close":
      closing = true;
      maybeFinish();
      return;
    case "terminate":
      void finish();
      return;
    case "stats": {
      const h = pool.histogram;
      const pick = (s: any) => ({ mean: s.mean, p50: s.p50, p99: s.p99, max: s.max });
      post({ op: "stats", stats: { completed: pool.completed, utilization: pool.utilization, runTime: pick(h.runTime), waitTime: pick(h.waitTime) } });
      return;
    }
  }
});
