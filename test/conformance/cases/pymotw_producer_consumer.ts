// Port of python/pymotw_producer_consumer.py: PyMOTW-3, multiprocessing, "Passing Messages to
// Processes" (https://pymotw.com/3/multiprocessing/communication.html): task objects with
// __call__ and __str__ (toString) travel through a JoinableQueue to Process subclasses.
import mp from "multiprocessing-ts";
import { print, range, time } from "multiprocessing-ts/py";

export class Consumer extends mp.Process {
  task_queue: mp.JoinableQueue;
  result_queue: mp.Queue;

  constructor(task_queue: mp.JoinableQueue, result_queue: mp.Queue) {
    super();
    this.task_queue = task_queue;
    this.result_queue = result_queue;
  }

  override run() {
    const proc_name = this.name;
    void proc_name;
    for (;;) {
      const next_task = this.task_queue.get() as Task | null;
      if (next_task === null) {
        // Poison pill means shutdown
        this.task_queue.task_done();
        break;
      }
      const answer = next_task.__call__();
      this.task_queue.task_done();
      this.result_queue.put(answer);
    }
  }
}

export class Task {
  a: number;
  b: number;

  constructor(a: number, b: number) {
    this.a = a;
    this.b = b;
  }

  __call__() {
    time.sleep(0.01); // pretend to take time to do the work
    return `${this.a} * ${this.b} = ${this.a * this.b}`;
  }

  toString() {
    return `${this.a} * ${this.b}`;
  }
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  // Establish communication queues
  const tasks = mp.JoinableQueue();
  const results = mp.Queue();

  // Start consumers
  const num_consumers = 4;
  print(`Creating ${num_consumers} consumers`);
  const consumers = [...range(num_consumers)].map(() => new Consumer(tasks, results));
  for (const w of consumers) w.start();

  // Enqueue jobs
  let num_jobs = 10;
  for (const i of range(num_jobs)) tasks.put(new Task(i, i));
  print("Task:", new Task(2, 3));

  // Add a poison pill for each consumer
  for (const _ of range(num_consumers)) tasks.put(null);

  // Wait for all of the tasks to finish
  tasks.join();

  // Start printing results
  const answers: string[] = [];
  while (num_jobs) {
    answers.push(results.get() as string);
    num_jobs -= 1;
  }
  for (const result of answers.sort((x, y) => parseInt(x) - parseInt(y))) print("Result:", result);
}
