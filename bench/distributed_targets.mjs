// Task functions of bench/distributed.mjs, run by `multiprocessing-ts worker` processes.

export function square(x) {
  return x * x;
}

/** CPU-bound work: about `ms` milliseconds of arithmetic (no sleeping). */
export function burn(ms) {
  const end = performance.now() + ms;
  let acc = 0;
  while (performance.now() < end) for (let i = 0; i < 1000; i++) acc = (acc * 31 + i) % 1000003;
  return acc;
}
