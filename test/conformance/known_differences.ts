// Where a port cannot print CPython's bytes because JavaScript lacks the distinction, the
// expected line is rewritten here, and only here, each with its reason (see MIGRATION.md).
// Everything else in a case must match byte for byte.

/** case name → [CPython's text, what the port prints, why]. */
export const knownDifferences: Record<string, [string, string, string][]> = {
  queue_fifo_order: [
    ["(1, 'two', 3.0)", "(1, 'two', 3)", "JavaScript has one number type: an integral float prints without .0"],
  ],
  docs_sharedctypes_structure: [
    ["(33.0625, 4.0)", "(33.0625, 4)", "JavaScript has one number type: an integral float prints without .0"],
  ],
  array_slicing_len: [
    ["a['x']: TypeError: indices must be integers", "a['x']: None", "a non-numeric key is a property lookup in JavaScript"],
  ],
};

/** Cases whose program writes a traceback to stderr on purpose (CPython's does too). */
export const casesWithStderr = new Set(["unguarded_script"]);

/** Applies the known differences of `name` to CPython's expected output. */
export function expectedFor(name: string, expected: string): string {
  for (const [py, ts] of knownDifferences[name] ?? []) {
    if (!expected.includes(py)) throw new Error(`known difference of ${name} no longer in the expected output: ${py}`);
    expected = expected.replace(py, ts);
  }
  return expected;
}
