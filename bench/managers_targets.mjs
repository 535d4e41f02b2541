// Child targets of bench/managers.mjs (a child imports this module to find them).

/** `n` times `d[k] = i; d[k]`; sends the pairs per second through `out`. */
export function pairs(d, n, out) {
  d.__setitem__("k", 0);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    d.__setitem__("k", i);
    d.__getitem__("k");
  }
  out.send(n / ((performance.now() - t0) / 1000));
}
