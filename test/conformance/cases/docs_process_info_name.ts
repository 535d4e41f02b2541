// Port of python/docs_process_info_name.py: Python docs, multiprocessing, "The Process class"
// (the info() example, https://docs.python.org/3/library/multiprocessing.html#the-process-class):
// `__name__` is "__main__" in the program and "__mp_main__" in the child that re-imported it.
import { Process } from "multiprocessing-ts";
import mp from "multiprocessing-ts";
import { print, os, __name__ } from "multiprocessing-ts/py";

function info(title: string) {
  print(title);
  print("module name:", __name__(import.meta));
  print("parent process is not this process:", os.getppid() !== os.getpid());
  print("process id is an int:", Number.isInteger(os.getpid()));
}

export function f(name: string) {
  info("function f");
  print("hello", name);
}

if (mp.is_main(import.meta)) {
  mp.set_start_method("spawn");
  info("main line");
  const p = new Process({ target: f, args: ["bob"] });
  p.start();
  p.join();
}
