// multiprocessing-ts: Python's multiprocessing for TypeScript.
// The default export is the package namespace itself, so `import multiprocessing from
// "multiprocessing-ts"` reads like Python and `multiprocessing.Lock` also works as a type.

import * as multiprocessing from "./multiprocessing.js";

export * from "./multiprocessing.js";
export default multiprocessing;
