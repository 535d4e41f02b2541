import multiprocessing from "multiprocessing-ts";
import { print, sys, time } from "multiprocessing-ts/py";

export function boom(x: number) { if (x) throw new Error("boom " + x); }
export async function aboom() { await new Promise(r => setTimeout(r, 10)); throw new TypeError("async boom"); }
export function sleeper(e: multiprocessing.Event) { e.set(); time.sleep(60); }

if (multiprocessing.is_main(import.meta)) {
  for (const args of [[0], [1]] as [number][]) {
    const p = new multiprocessing.Process({ target: boom, args });
    p.start(); p.join(); print("exitcode", p.exitcode, String(p));
  }
  const q = new multiprocessing.Process({ target: aboom }); q.start(); q.join(); print("async", q.exitcode);
  for (const a of [[0],[8],[256],[null],[true],["msg"]]) { const p = new multiprocessing.Process({ target: sys.exit, args: a as any }); p.start(); p.join(); print("sys.exit", a, p.exitcode); }
  const e = multiprocessing.Event();
  const s = new multiprocessing.Process({ target: sleeper, args: [e], daemon: true }); s.start(); e.wait(); s.terminate(); s.join(); print("term", s.exitcode, String(s));
  const n = multiprocessing.current_process(); print(String(n), n.name);
}
