// Compile-time checks (run by test/types.test.ts): a Process's args and kwargs must fit its
// target, and shared objects keep their types. Each @ts-expect-error must be an error.
import mp from "multiprocessing-ts";

export function add(a: number, b: string): void {
  void a;
  void b;
}
export function withKw(q: mp.Queue<number>, n: number, kw: { scale: number }): void {
  void q;
  void n;
  void kw;
}

new mp.Process({ target: add, args: [1, "x"] });
// @ts-expect-error wrong type
new mp.Process({ target: add, args: [1, 2] });
// @ts-expect-error wrong count
new mp.Process({ target: add, args: [1] });
// @ts-expect-error too many
new mp.Process({ target: add, args: [1, "x", 3] });

const q: mp.Queue<number> = mp.Queue();
new mp.Process({ target: withKw, args: [q, 1], kwargs: { scale: 2 } });
// @ts-expect-error kwargs must fit the last parameter
new mp.Process({ target: withKw, args: [q, 1], kwargs: { scal: 2 } });

const v = mp.Value("i", 0);
const n: number = v.value;
const big = mp.Value("q", 0);
const b: bigint = big.value;
// @ts-expect-error an 8-byte code reads as bigint
const wrong: number = big.value;
void n;
void b;
void wrong;

const lock: mp.Lock = mp.Lock();
const entered: boolean = lock.acquire({ timeout: 1 });
void entered;

// A task object (Python's __call__ protocol) is a target: args must fit its __call__.
export class Task {
  constructor(public q: mp.Queue) {}
  __call__(x: number): void {
    this.q.put(x);
  }
}
new mp.Process({ target: new Task(mp.Queue()), args: [1] });
new mp.Process(null, new Task(mp.Queue()), null, [1]);
// @ts-expect-error args must fit __call__
new mp.Process({ target: new Task(mp.Queue()), args: ["x"] });
// @ts-expect-error an object without __call__ is no target
new mp.Process({ target: { run: 1 } });
