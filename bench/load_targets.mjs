// Child targets of bench/load.mjs (plain JavaScript: children import them through Node).

/** Puts the integers 0..n-1. */
export function producer(q, n) {
  for (let s = 0; s < n; s++) q.put(s);
}

/** Gets items until null; adds how many it got to cell 0 of `cnt`. */
export function consumer(q, cnt) {
  let got = 0;
  while (q.get() !== null) got++;
  Atomics.add(cnt.get_obj(), 0, got);
}

/** Does nothing. */
export function noop() {}
