// Port of python/docs_mp_workers.py: CPython Doc/includes/mp_workers.py (Python docs,
// multiprocessing, "Examples"): queues feed [func, args] tasks to worker processes; the
// functions travel by reference (module + export name), as pickle sends them.
import { Process, Queue, current_process, freeze_support, set_start_method } from "multiprocessing-ts";
import mp from "multiprocessing-ts";
import { print, range, repr, time, tuple } from "multiprocessing-ts/py";

//
// Function run by worker processes
//

export function worker(input: mp.Queue, output: mp.Queue) {
  for (let task; (task = input.get()) !== "STOP"; ) {
    const [func, args] = task as [(...a: number[]) => number, number[]];
    const result = calculate(func, args);
    output.put(result);
  }
}

//
// Function used to calculate result
//

function calculate(func: (...a: number[]) => number, args: number[]) {
  const result = func(...args);
  return `${"worker"} says that ${func.name}${repr(args)} = ${result}`;
}

//
// Functions referenced by tasks
//

export function mul(a: number, b: number) {
  time.sleep(0.01 * Math.random());
  return a * b;
}

export function plus(a: number, b: number) {
  time.sleep(0.01 * Math.random());
  return a + b;
}

//
//
//

function test() {
  const NUMBER_OF_PROCESSES = 4;
  const TASKS1 = [...range(20)].map((i) => tuple(mul, tuple(i, 7)));
  const TASKS2 = [...range(10)].map((i) => tuple(plus, tuple(i, 8)));

  // Create queues
  const task_queue = Queue();
  const done_queue = Queue();

  // Submit tasks
  for (const task of TASKS1) task_queue.put(task);

  // Start worker processes
  for (const _ of range(NUMBER_OF_PROCESSES)) new Process({ target: worker, args: [task_queue, done_queue] }).start();

  // Get and print results
  print("Unordered results:");
  let results = TASKS1.map(() => done_queue.get() as string);
  for (const r of results.sort()) print("\t", r);

  // Add more tasks using `put()`
  for (const task of TASKS2) task_queue.put(task);

  // Get and print some more results
  results = TASKS2.map(() => done_queue.get() as string);
  for (const r of results.sort()) print("\t", r);

  // Tell child processes to stop
  for (const _ of range(NUMBER_OF_PROCESSES)) task_queue.put("STOP");
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) set_start_method(process.env.MP_START_METHOD);
  freeze_support();
  void current_process;
  test();
}
