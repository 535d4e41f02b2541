// Part of the shared_memory module: Python's type names for its errors (its constructors bind
// their arguments through shared/binder.ts).

import { isPlainObject } from "../shared/binder.js";

/** `type(v).__name__` for the JavaScript values that stand for Python's. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    case "bigint":
      return "int";
    case "boolean":
      return "bool";
    case "string":
      return "str";
    case "function":
      return "function";
  }
  if (Array.isArray(v)) return "list";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  if (isPlainObject(v)) return "dict";
  return (v as object).constructor?.name ?? "object";
}

