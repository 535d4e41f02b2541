// Port of the part of CPython's Lib/xmlrpc/client.py (PSF-2.0) that managers use when created
// with `serializer='xmlrpclib'` (Lib/multiprocessing/connection.py `_xml_dumps` / `_xml_loads`:
// `xmlrpclib.dumps((obj,), None, None, None, 1)` and `xmlrpclib.loads(s)[0][0]`): a
// `<params><param><value>…</value></param></params>` document with allow_none.
// What XML-RPC cannot carry is lost or refused, as in CPython: tuples arrive as lists, ints must
// fit in 32 bits, dict keys must be strings, sets and class instances are refused (an Error is
// written as the struct of its own attributes, usually `{}`, as Python writes an exception's
// `__dict__`), bytes arrive as bytes (Python reads them as `xmlrpc.client.Binary`).

import { isTuple } from "../shared/format.js";
import { OverflowError, TypeError, ValueError } from "../shared/pyerrors.js";
import { PyFloat } from "../shared/pickle/float.js";

const MAXINT = 2 ** 31 - 1;
const MININT = -(2 ** 31);

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function pyTypeName(v: unknown): string {
  if (typeof v === "function") return "function";
  if (v instanceof Set) return "set";
  return (v as any)?.constructor?.name ?? typeof v;
}

function dumpValue(v: unknown, out: string[], depth: number): void {
  if (depth > 200) throw new ValueError("cannot marshal recursive or too deep structures");
  if (v === null || v === undefined) return void out.push("<value><nil/></value>");
  switch (typeof v) {
    case "boolean":
      return void out.push(`<value><boolean>${v ? 1 : 0}</boolean></value>`);
    case "number":
      if (Number.isInteger(v) && !Object.is(v, -0)) {
        if (v > MAXINT || v < MININT) throw new OverflowError("int exceeds XML-RPC limits");
        return void out.push(`<value><int>${v}</int></value>`);
      }
      return void out.push(`<value><double>${reprDouble(v)}</double></value>`);
    case "bigint":
      if (v > BigInt(MAXINT) || v < BigInt(MININT)) throw new OverflowError("int exceeds XML-RPC limits");
      return void out.push(`<value><int>${v}</int></value>`);
    case "string":
      return void out.push(`<value><string>${escape(v)}</string></value>`);
  }
  if (v instanceof PyFloat) return void out.push(`<value><double>${reprDouble(v.valueOf())}</double></value>`);
  if (v instanceof Uint8Array) return void out.push(`<value><base64>\n${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")}\n</base64></value>\n`);
  if (Array.isArray(v)) {
    out.push("<value><array><data>\n");
    for (const x of v) dumpValue(x, out, depth + 1);
    return void out.push("</data></array></value>\n");
  }
  const entries: [unknown, unknown][] | null =
    v instanceof Map ? [...v] : typeof v === "object" && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null || v instanceof Error) ? Object.entries(v as object) : null;
  if (entries === null || typeof v === "function") throw new TypeError(`cannot marshal <class '${pyTypeName(v)}'> objects`);
  out.push("<value><struct>\n");
  for (const [k, x] of entries) {
    if (v instanceof Error && (k === "args" || k === "stack" || k === "message")) continue;
    if (typeof k !== "string") throw new TypeError("dictionary key must be string");
    out.push(`<member>\n<name>${escape(k)}</name>\n`);
    dumpValue(x, out, depth + 1);
    out.push("</member>\n");
  }
  out.push("</struct></value>\n");
}

function reprDouble(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  const s = String(n);
  return /[.e]/.test(s) ? s : s + ".0";
}

/**
 * `xmlrpclib.dumps((obj,), None, None, None, 1)` as UTF-8 bytes.
 * @throws TypeError "cannot marshal <class 'X'> objects" for what XML-RPC has no type for;
 * OverflowError "int exceeds XML-RPC limits" beyond 32 bits.
 */
export function xmlDumps(obj: unknown): Buffer {
  const out = ["<params>\n<param>\n"];
  dumpValue(obj, out, 0);
  out.push("</param>\n</params>\n");
  return Buffer.from(out.join(""), "utf8");
}

// --- reading --------------------------------------------------------------------------------------

const unescape = (s: string): string =>
  s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });

interface Frame {
  tag: string;
  items: unknown[];
  text: string;
  names?: string[];
}

/**
 * `xmlrpclib.loads(s)[0][0]`: the one value of a params document.
 * @throws ValueError for malformed or unsupported XML-RPC.
 */
export function xmlLoads(buf: Uint8Array): unknown {
  const s = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("utf8");
  const re = /<(\/?)([A-Za-z0-9_.:]+)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/g;
  const stack: Frame[] = [{ tag: "#root", items: [], text: "" }];
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const [, close, tag, selfClose, text] = m;
    const top = stack[stack.length - 1]!;
    if (text !== undefined) {
      top.text += text;
      continue;
    }
    if (tag === undefined) continue;
    if (!close) {
      stack.push({ tag, items: [], text: "" });
      if (!selfClose) continue;
    }
    const f = stack.pop()!;
    if (f.tag !== tag) throw new ValueError(`malformed XML-RPC: </${tag}> closes <${f.tag}>`);
    const parent = stack[stack.length - 1];
    if (!parent) throw new ValueError("malformed XML-RPC");
    const value = endTag(f);
    if (value !== kNone) parent.items.push(value);
    if (f.tag === "name") (parent.names ??= []).push(unescape(f.text));
  }
  const root = stack[0]!;
  const value = root.items[0];
  if (stack.length !== 1 || root.items.length !== 1 || !Array.isArray(value) || value.length < 1) throw new ValueError("malformed XML-RPC: expected one <params> document");
  return value[0];
}

const kNone = Symbol("none");

function endTag(f: Frame): unknown {
  const t = unescape(f.text);
  switch (f.tag) {
    case "nil":
      return null;
    case "boolean":
      if (t !== "0" && t !== "1") throw new TypeError("bad boolean value");
      return t === "1";
    case "int": case "i1": case "i2": case "i4": case "i8": case "biginteger": {
      const n = Number(t.trim());
      if (!Number.isInteger(n)) throw new ValueError(`invalid literal for int() with base 10: '${t}'`);
      return n;
    }
    case "double": case "float": case "bigdecimal":
    {
      // As the pickle reader: a float with a fraction is a number, an integral one a PyFloat.
      const n = Number(t.trim());
      return Number.isInteger(n) ? new PyFloat(n) : n;
    }
    case "string":
      return t;
    case "dateTime.iso8601":
      return t;
    case "base64":
      return Buffer.from(t, "base64");
    case "value":
      // A value with no type element is a string.
      return f.items.length ? f.items[0] : unescape(f.text);
    case "data":
      return f.items;
    case "array":
      return f.items[0] ?? [];
    case "member":
      return [f.names?.[0], f.items[0]];
    case "struct": {
      const o: Record<string, unknown> = {};
      for (const [k, v] of f.items as [string, unknown][]) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      return o;
    }
    case "param":
      return f.items[0];
    case "params":
      return f.items;
    case "name":
      return kNone;
    case "methodResponse": case "methodCall": case "fault":
      return f.items.find(Array.isArray) ?? kNone;
  }
  throw new ValueError(`unknown XML-RPC tag <${f.tag}>`);
}

void isTuple;
