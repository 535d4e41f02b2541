// Worker side of raw_pool.ts: registers tsx in this worker (Node 20 does not hand the main
// thread's hooks to workers) and loads the TypeScript task module, as a library worker must.
import { register } from "tsx/esm/api";

register();
await import("./raw_pool_worker.ts");
