// Port of python/pymotw_queue_fancy_class.py: PyMOTW-3, multiprocessing, "Passing Messages to
// Processes" (https://pymotw.com/3/multiprocessing/communication.html): an instance of an
// exported class travels through a Queue, and its method runs in the child.
import mp from "multiprocessing-ts";
import { print } from "multiprocessing-ts/py";

export class MyFancyClass {
  name: string;

  constructor(name: string) {
    this.name = name;
  }

  do_something() {
    const proc_name = mp.current_process().name;
    print(`Doing something fancy in ${proc_name} for ${this.name}!`);
  }
}

export function worker(q: mp.Queue) {
  const obj = q.get() as MyFancyClass;
  obj.do_something();
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const queue = mp.Queue();

  const p = new mp.Process({ target: worker, args: [queue] });
  p.start();

  queue.put(new MyFancyClass("Fancy Dan"));

  // Wait for the worker to finish
  queue.close();
  queue.join_thread();
  p.join();
}
