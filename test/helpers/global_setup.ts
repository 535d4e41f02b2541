// Runs once before the suite: the tests import the built package (dist/), as users do.
import { existsSync } from "node:fs";

export default function setup(): void {
  if (!existsSync(new URL("../../dist/index.js", import.meta.url))) {
    throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
  }
}
