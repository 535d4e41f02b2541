# The CPython side of test/pickle.test.ts: dumps Python expressions with every protocol, and loads
# what multiprocessing-ts wrote, answering a type-exact description of each value as JSON.
import json, pickle, struct, sys

def desc(v, seen=None):
    seen = seen if seen is not None else {}
    t = type(v).__name__
    if v is None or isinstance(v, (bool, int)):
        return [t, repr(v)]
    if isinstance(v, float):
        return [t, struct.pack('>d', v).hex()]
    if isinstance(v, str):
        return [t, v.encode('utf-16-le', 'surrogatepass').hex()]
    if isinstance(v, (bytes, bytearray)):
        return [t, v.hex()]
    if isinstance(v, type):
        return ['type', repr(v)]
    if isinstance(v, tuple):  # not tracked: CPython shares equal constant tuples
        return [t, [desc(x, seen) for x in v]]
    if id(v) in seen:
        return ['ref', seen[id(v)]]
    seen[id(v)] = len(seen)
    if isinstance(v, list):
        return [t, [desc(x, seen) for x in v]]
    if isinstance(v, (set, frozenset)):
        return [t, sorted((desc(x, seen) for x in v), key=json.dumps)]
    if isinstance(v, dict):
        return [t, [[desc(k, seen), desc(x, seen)] for k, x in v.items()]]
    if isinstance(v, BaseException):
        return [t, desc(v.args, seen), [[k, desc(x, seen)] for k, x in sorted(vars(v).items())]]
    return [t, repr(v)]

req = json.load(sys.stdin)
out = []
if req['mode'] == 'dump':
    for expr in req['exprs']:
        v = eval(expr)
        # dumps first: vars() in desc() gives an exception a __dict__, which pickle then writes.
        hexes = {str(p): pickle.dumps(v, protocol=p).hex() for p in (0, 1, 2, 3, 4, 5)}
        out.append({'desc': desc(v), 'hex': hexes})
else:
    for item in req['items']:
        try:
            ours = pickle.loads(bytes.fromhex(item['hex']))
            a, b = desc(ours), desc(eval(item['expr']))
            out.append({'same': a == b, 'repr': repr(ours)[:300], 'expected': repr(eval(item['expr']))[:300]})
        except Exception as e:
            out.append({'error': f'{type(e).__name__}: {e}'})
json.dump(out, sys.stdout)
