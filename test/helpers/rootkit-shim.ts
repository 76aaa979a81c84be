import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("./rootkit-shim.c", import.meta.url));

/** Builds the test rootkit (rootkit-shim.c) into `dir` and returns the library's path, for LD_PRELOAD. */
export function buildRootkitShim(dir: string): string {
  const out = join(dir, "rootkit-shim.so");
  execFileSync("cc", ["-shared", "-fPIC", "-O2", "-o", out, SOURCE, "-ldl"], { timeout: 60_000 });
  return out;
}
