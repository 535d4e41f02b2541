// Proxies inside values on a socket: CPython's BaseProxy.__reduce__ and RebuildProxy
// (Lib/multiprocessing/managers.py, PSF-2.0) for the pickle of managers/remote_wire.ts. A proxy
// pickles as `RebuildProxy(AutoProxy or its class, Token, serializer, {'exposed': ...})`, as
// CPython writes it; unpickled in the server that owns the referent it stands for the referent
// (the server's LocalProxyRef, as CPython's RebuildProxy makes a manager-owned proxy there),
// anywhere else it is a live proxy (incref'd, as in CPython).

import { registerGlobal } from "../shared/pickle.js";
import { markTuple } from "../shared/format.js";
import { AutoProxy, BaseProxy, rebuildProxy, serverHooks } from "./proxies.js";
import {
  AcquirerProxy, ArrayProxy, BarrierProxy, BaseListProxy, ConditionProxy, DictProxy, EventProxy, IteratorProxy, ListProxy, NamespaceProxy, PoolProxy, ValueProxy,
} from "./proxy_types.js";
import { LocalProxyRef } from "./server.js";
import { Token } from "./wire.js";
import { decodingManagerWire, isInetAddress, type InetAddress } from "./remote_wire.js";
import { UnpicklingError } from "../shared/pickle.js";

/** The socket address this thread's manager server listens on (set by managers/remote_server.ts). */
export const listening: { address: InetAddress | null } = { address: null };

const loopback = (h: string): boolean => h === "localhost" || h === "" || h === "0.0.0.0" || /^127\./.test(h);

/** True if `address` names the server listening in this thread. */
function ours(address: unknown): boolean {
  const a = listening.address;
  if (!a || !isInetAddress(address)) return false;
  return address[1] === a[1] && (address[0] === a[0] || (loopback(address[0]) && loopback(a[0])));
}

/** CPython's RebuildProxy global: stands for itself when written, rebuilds a proxy when read. */
function RebuildProxy(func: unknown, token: Token, serializer: unknown, kwds: Record<string, unknown> | null): unknown {
  const auto = func === AutoProxy;
  const exposed = (kwds?.exposed as string[] | undefined) ?? null;
  const cls = !auto && typeof func === "function" ? func : null;
  if (ours(token.address) && serverHooks.localRef && serverHooks.address) {
    return serverHooks.localRef({ typeid: token.typeid, address: serverHooks.address, id: token.id, exposed, auto, clsName: cls?.name });
  }
  return rebuildProxy({ typeid: token.typeid, address: token.address, id: token.id, exposed, auto, cls, serializer: typeof serializer === "string" ? serializer : "pickle" });
}

registerGlobal("multiprocessing.managers", "RebuildProxy", {
  value: RebuildProxy,
  // Only in a manager's messages: elsewhere (a Connection's recv()) a pickle must not make this
  // process connect to an address of the sender's choosing.
  call: (args) => {
    if (!decodingManagerWire()) throw new UnpicklingError("global 'multiprocessing.managers.RebuildProxy' is forbidden outside a manager's messages");
    return RebuildProxy(args[0], args[1] as Token, args[2], args[3] as Record<string, unknown> | null);
  },
});
registerGlobal("multiprocessing.managers", "AutoProxy", { value: AutoProxy });
const classes: Record<string, unknown> = {
  IteratorProxy, AcquirerProxy, ConditionProxy, EventProxy, BarrierProxy, NamespaceProxy, ValueProxy, BaseListProxy, ListProxy, DictProxy, ArrayProxy, PoolProxy,
};
for (const [name, cls] of Object.entries(classes)) registerGlobal("multiprocessing.managers", name, { value: cls });

function kwdsOf(auto: boolean, exposed: readonly string[] | null | undefined): Record<string, unknown> {
  return auto ? { exposed: exposed ? markTuple([...exposed]) : null } : {};
}

/** The class a proxy pickles with: its own if CPython has one of that name, else AutoProxy. */
function funcOf(p: BaseProxy): unknown {
  if (p._isauto) return AutoProxy;
  for (let c: any = p.constructor; c && c !== BaseProxy; c = Object.getPrototypeOf(c)) {
    if (Object.hasOwn(classes, c.name) && classes[c.name] === c) return c;
  }
  return AutoProxy;
}

Object.defineProperty(BaseProxy.prototype, "__reduce__", {
  value: function (this: BaseProxy) {
    const func = funcOf(this);
    const token = new Token(this._token.typeid, this._token.address, this._token.id);
    const exposed = this._exposed_ ?? (this.constructor as typeof BaseProxy)._exposed_ ?? null;
    return [RebuildProxy, [func, token, this._serializer, kwdsOf(func === AutoProxy, exposed)]];
  },
  writable: true, configurable: true, enumerable: false,
});

Object.defineProperty(LocalProxyRef.prototype, "__reduce__", {
  value: function (this: LocalProxyRef) {
    const st = this.state as Record<string, any>;
    const name = st.clsName ?? st.cls?.name;
    const named = typeof name === "string" && Object.hasOwn(classes, name) ? classes[name] : null;
    const func = st.auto || !named ? AutoProxy : named;
    const token = new Token(st.typeid, (listening.address ?? st.address) as any, st.id);
    return [RebuildProxy, [func, token, "pickle", kwdsOf(func === AutoProxy, st.exposed)]];
  },
  writable: true, configurable: true, enumerable: false,
});
