// Marks the objects a SyncManager's server holds with the kind of referent they are, so that the
// server binds calls on them against their declared signatures (managers/signatures.ts).

/** A referent's kind (a key of managers/signatures.ts's tables), as a property of its class. */
export const kReferent = Symbol.for("multiprocessing-ts.managers.referent");
