// Compile-time checks (run by test/types.test.ts): a SyncManager's factories and its proxies'
// methods take Python's keyword spellings (managers/signatures.ts, proxy_types.ts) and refuse
// misspelled keywords. Each @ts-expect-error must be an error. Never run.
import mp from "multiprocessing-ts";

export function square(x: number): number {
  return x * x;
}

export function spellings(): void {
  const m = mp.Manager();
  const q = m.Queue<number>({ maxsize: 2 });
  q.put(1, { block: true, timeout: 1 });
  q.put(1, true, 1);
  const n: number = q.get({ timeout: 0.5 });
  const n2: number = q.get(false);
  void q.get_async({ block: false });
  // @ts-expect-error a misspelled keyword
  q.get({ timout: 1 });
  // @ts-expect-error the item must be the queue's type
  q.put("x");
  // @ts-expect-error a keyword of the factory that does not exist
  m.Queue({ maxsze: 1 });
  m.JoinableQueue({ maxsize: 1 }).task_done();

  m.Value({ typecode: "i", value: 3 }).set({ a: 1 });
  m.Value("i", 3, { lock: false });
  // @ts-expect-error Value() needs its value
  m.Value("i");
  m.Array("i", { sequence: [1, 2] });
  m.Array({ typecode: "d", sequence: [1.5] });
  m.Semaphore({ value: 2 }).acquire({ timeout: 0.1 });
  m.BoundedSemaphore(2).acquire(true, 0.1);
  // @ts-expect-error a misspelled keyword
  m.Semaphore({ vlaue: 2 });
  m.Barrier(2, { timeout: 1 }).wait({ timeout: 0.5 });
  m.Barrier({ parties: 2, action: () => 1 });
  m.Namespace({ x: 1, y: "two" });

  const lock = m.Lock();
  const got: boolean = lock.acquire({ blocking: false });
  lock.acquire({ blocking: true, timeout: 1 });
  // @ts-expect-error a misspelled keyword
  lock.acquire({ timout: 1 });
  const c = m.Condition({ lock });
  c.wait({ timeout: 1 });
  c.notify({ n: 2 });
  const seven: number = c.wait_for({ predicate: () => 7, timeout: 1 });
  // @ts-expect-error a misspelled keyword
  c.wait({ timout: 1 });
  const e = m.Event();
  e.wait({ timeout: 1 });
  void e.wait_async({ timeout: 1 });
  // @ts-expect-error Event() takes no argument
  m.Event(1);

  const l = m.list([3, 1, 2]);
  l.sort({ reverse: true });
  const pool = m.Pool(2, { maxtasksperchild: 2 });
  m.Pool({ processes: 1 });
  const squares: number[] = pool.map({ func: square, iterable: [1, 2], chunksize: 1 });
  const sq: number = pool.apply(square, { args: [3] });
  // @ts-expect-error a misspelled keyword
  pool.map(square, [1], { chunksze: 1 });
  // @ts-expect-error the arguments must fit the function
  pool.apply(square, ["x"]);
  pool.close();
  void [squares, sq];
  void [n, n2, got, seven];
}
