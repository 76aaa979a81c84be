import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { audit } from "../../src/index.js";

const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders", import.meta.url));

describe("audit({ deep })", () => {
  it("audit with deep hands the deep check to the collection (on a captured tree it says why it did not run)", async () => {
    const without = await audit({ procRoot: tree });
    const withDeep = await audit({ procRoot: tree, deep: true });
    assert.ok(!without.warnings.some((w) => w.includes("--deep")));
    assert.ok(withDeep.warnings.some((w) => /^The deep check \(--deep\) probes the live host's ports, not a captured proc tree/.test(w)), withDeep.warnings.join("\n"));
    assert.equal(withDeep.sockets.length, without.sockets.length);
  });
});
