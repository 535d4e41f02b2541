// Child targets of bench/managers.mjs (a child imports this module to find them).

/** `n` times `d[k] = i; d[k]` (after 1000 untimed, as the other rows warm up); sends the pairs per second through `out`. */
export function pairs(d, n, out) {
  d.__setitem__("k", 0);
  for (let i = 0; i < 1000; i++) {
    d.__setitem__("k", i);
    d.__getitem__("k");
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    d.__setitem__("k", i);
    d.__getitem__("k");
  }
  out.send(n / ((performance.now() - t0) / 1000));
}
