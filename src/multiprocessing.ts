// The package namespace: the default context's names plus the submodules, as CPython's
// Lib/multiprocessing/__init__.py builds it. index.ts exports it by name and as the default.

export * from "./context.js";
export * as synchronize from "./synchronize.js";
export * as sharedctypes from "./sharedctypes.js";
export * as py from "./py.js";
export * as queues from "./queues.js";
export * as connection from "./connection.js";
export * as pool from "./pool.js";
export * as shared_memory from "./shared_memory.js";

export * as managers from "./managers.js";
