// Port of condition_wait_for.py: wait_for(predicate[, timeout]) with state shared through a
// Value returns the predicate's value once true, or its falsy value after the timeout.
import mp from "multiprocessing-ts";
import { print, sys, time, tuple } from "multiprocessing-ts/py";

export function waitfor_child(cond: mp.Condition, state: mp.sharedctypes.Synchronized<number>, q: mp.Queue) {
  cond.with(() => {
    state.value = 0;
    cond.notify();
    const result = cond.wait_for(() => state.value === 4);
    q.put(tuple("child wait_for result", result, "state", state.value));
    if (!result || state.value !== 4) sys.exit(1);
  });
}

export function timeout_child(cond: mp.Condition, state: mp.sharedctypes.Synchronized<number>, q: mp.Queue) {
  cond.with(() => {
    const t = time.monotonic();
    const result = cond.wait_for(() => state.value === 4, 0.2);
    q.put(tuple("child wait_for(timeout=0.2) result", result, "waited >= 0.15s", time.monotonic() - t >= 0.15));
  });
}

function main() {
  const [cond, state, q] = [mp.Condition(), mp.Value("i", -1), mp.Queue()];
  let p = new mp.Process({ target: waitfor_child, args: [cond, state, q] });
  p.start();
  cond.with(() => print("parent wait_for(state == 0):", cond.wait_for(() => state.value === 0), "state:", state.value));
  for (let i = 0; i < 4; i++) {
    time.sleep(0.01);
    cond.with(() => {
      state.value += 1;
      cond.notify();
    });
  }
  print(q.get());
  p.join();
  print("child exitcode:", p.exitcode);

  state.value = 0;
  p = new mp.Process({ target: timeout_child, args: [cond, state, q] });
  p.start();
  for (let i = 0; i < 3; i++) { // only 3 increments: state never reaches 4
    time.sleep(0.01);
    cond.with(() => {
      state.value += 1;
      cond.notify();
    });
  }
  print(q.get());
  p.join();

  cond.with(() => {
    print("wait_for(lambda: 42):", cond.wait_for(() => 42));
    print("wait_for(lambda: 0, timeout=0.05):", cond.wait_for(() => 0, 0.05));
    print("wait_for(lambda: [], timeout=0):", cond.wait_for(() => [] as unknown[] & { length: 0 } as any, 0));
  });
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
