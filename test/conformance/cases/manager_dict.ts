// Port of manager_dict.py: Manager().dict(): a DictProxy shared with children; methods forward to
// the real dict in the server (KeyError etc. re-raised locally with the same args); str() shows
// the referent, repr() the proxy; values are copied out, so mutating a fetched nested list is
// lost, while nested *proxies* stay live.
import mp from "multiprocessing-ts";
import { print, repr, str, len, os, tuple } from "multiprocessing-ts/py";

function show(label: string, fn: () => unknown) {
  try {
    const r = fn();
    print(`${label}: ${repr(r).replace(/0x[0-9a-f]+/g, "0xADDR")}`);
  } catch (e: any) {
    const msg = str(e);
    print(`${label}: ${e.name}` + (msg ? `: ${msg}` : ""));
  }
}

export function child(d: mp.managers.DictProxy) {
  if (d.foo !== 5) throw new Error("assert d['foo'] == 5");
  d.child = os.getpid() > 0;
  d.update({ extra: [1, 2] });
  delete d.foo;
}

const sorted = (xs: any[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function main() {
  mp.Manager().with((m) => {
    const d = m.dict();
    show("type", () => d.constructor.name);
    show("repr", () => repr(d));
    for (let i = 65; i < 70; i++) d.__setitem__(i, String.fromCharCode(i));
    show("str", () => str(d));
    show("copy()", () => d.copy());
    show("sorted(keys())", () => sorted(d.keys()));
    show("sorted(values())", () => sorted(d.values()));
    show("sorted(items())", () => sorted(d.items()));
    show("keys() type", () => (Array.isArray(d.keys()) ? "list" : "?"));
    show("len", () => len(d));
    show("65 in d", () => d.__contains__(65));
    show("list(iter(d))", () => [...d]);
    let it = d.__iter__();
    show("iterator exhausted twice", () => tuple([...it], [...it]));
    it = d.__iter__();
    d.clear();
    show("next() after clear during iteration", () => it.__next__());
    d.foo = 5;
    const p = new mp.Process({ target: child, args: [d] });
    p.start();
    p.join();
    show("child exitcode", () => p.exitcode);
    show("after child", () => d.copy());
    show("d['missing']", () => d.missing);
    show("d.pop('missing')", () => d.pop("missing"));
    show("d.get('missing', 0)", () => d.get("missing", 0));
    show("d.setdefault('lst', [])", () => d.setdefault("lst", []));
    d.lst.push(1);
    show("d['lst'] after d['lst'].append(1) (copy was mutated)", () => d.lst);
    show("d == d.copy() (proxies don't compare equal)", () => d === d.copy());
    show("popitem()", () => d.popitem());
    show("m.dict(x=1, y=2).copy()", () => m.dict({ x: 1, y: 2 }).copy());
    show("m.dict([('a', 1)]).copy()", () => m.dict([tuple("a", 1)]).copy());
    const pets = m.dict({ ferrets: 2, hamsters: 4 });
    const supplies = m.dict({ water: 10, feed: 3 });
    const outer = m.dict({ pets, supplies });
    show("outer['supplies'] type", () => outer.supplies.constructor.name);
    outer.supplies.blankets = 5;
    show("nested proxy write visible via inner", () => supplies.blankets);
    supplies.water = 7;
    show("inner write visible via outer", () => outer.supplies.water);
    outer.clear();
    show("inner survives outer.clear()", () => tuple(pets.hamsters, supplies.water));
    const lst = m.list([pets, supplies]);
    lst[0].marmots = 1;
    show("dict proxy inside list proxy", () => pets.marmots);
    show("plain list inside list proxy stays a list", () => (Array.isArray(m.list([[88, 99]])[0]) ? "list" : "?"));
  });
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  main();
}
