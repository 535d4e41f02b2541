// Python's `float` for values JavaScript cannot tell from an int: `py.float(1)` is the float 1.0.
// A JavaScript number with a fraction (1.5, NaN, Infinity) is already a float for pickle; an
// integral number is an int. PyFloat marks an integral value that must stay a float both ways.

import { TypeError, ValueError } from "../pyerrors.js";

const kFloatBrand = Symbol.for("multiprocessing-ts.float");

/**
 * A Python `float` whose value may be integral: `py.float(2)` pickles as `2.0` and prints as
 * `2.0`. Arithmetic works through `valueOf()` (`f + 1 === 3`), `Number(f)` gives the number.
 *
 * Differs from Python: a wrapper object, since a JavaScript number cannot carry its type.
 */
export class PyFloat extends Number {
  /**
   * `instanceof PyFloat` holds for a PyFloat of any copy of this module: a worker loads the
   * library's bundle and its per-module build, each with a class of its own.
   */
  static [Symbol.hasInstance](v: unknown): boolean {
    return v instanceof Number && (v as unknown as Record<symbol, unknown>)[kFloatBrand] === true;
  }
  /** @internal the brand that `instanceof` looks for. */
  get [kFloatBrand](): true {
    return true;
  }
  /** Python's `repr(f)`: `2.0`, `1e+16`, `inf`, `nan`. */
  __repr__(): string {
    return reprFloat(this.valueOf());
  }
  override toString(): string {
    return this.__repr__();
  }
  /** As pickle rebuilds it: `float(value)` (the library's codec sends it so, between threads too). */
  __reduce__(): [typeof float, [number]] {
    return [float, [this.valueOf()]];
  }
}
Object.defineProperty(PyFloat, "name", { value: "float" });

/** Python's repr of a float: integral values keep a `.0`. */
export function reprFloat(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (Object.is(n, -0)) return "-0.0";
  const [mantissa, e] = n.toExponential().split("e") as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  const s = String(n);
  return Number.isInteger(n) ? s + ".0" : s;
}

/**
 * Python's `float(x)`: a number, a numeric string (`"1.5"`, `"inf"`, `" 2 "`), a bigint or a
 * PyFloat gives a PyFloat.
 * @throws TypeError for other types; ValueError for a string that is not a number (`could not convert string to float: 'x'`).
 */
export function float(x: unknown = 0): PyFloat {
  if (x instanceof Number) return new PyFloat(x.valueOf());
  if (typeof x === "number") return new PyFloat(x);
  if (typeof x === "bigint") return new PyFloat(Number(x));
  if (typeof x === "boolean") return new PyFloat(x ? 1 : 0);
  if (typeof x === "string") {
    const t = x.trim().toLowerCase().replace(/_/g, "");
    const special: Record<string, number> = { inf: Infinity, "+inf": Infinity, "-inf": -Infinity, infinity: Infinity, "+infinity": Infinity, "-infinity": -Infinity, nan: NaN, "+nan": NaN, "-nan": NaN };
    if (t in special) return new PyFloat(special[t]!);
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return new PyFloat(Number(t));
    throw new ValueError(`could not convert string to float: '${x}'`);
  }
  throw new TypeError(`float() argument must be a string or a real number, not '${x === null ? "NoneType" : typeof x}'`);
}
