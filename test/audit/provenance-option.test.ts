import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createAuditor, createLookSession } from "../../src/audit/auditor.js";
import type { ProcessInfo } from "../../src/model/process.js";
import { spawnHolder } from "../helpers/spawn-holder.js";

// Provenance is read for the live host only: a captured proc tree names another host's programs.
const tree = new URL("../fixtures/proc/debian12-holders", import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;
const auditor = createAuditor({ etcServices: null });
const processes = (sockets: readonly { process: ProcessInfo | null }[]) => [...new Set(sockets.flatMap((s) => (s.process ? [s.process] : [])))];

describe("HostOptions.provenance", () => {
  it("HostOptions.provenance is off for a captured proc tree: no process has a package field", async () => {
    const look = await auditor.lookAtHost({ procRoot: tree });
    const ps = processes(look.sockets);
    assert.ok(ps.length > 0);
    assert.ok(ps.every((p) => !("package" in p) && !("provenance" in p)));
  });
  it("HostOptions.provenance is on for the live host by default, and false turns it off", { skip: asRoot ? false : "needs root to see other processes' programs" }, async () => {
    const holder = await spawnHolder([], ["--no-ipv6"]);
    try {
      const session = createLookSession();
      const on = await auditor.lookAtHost({}, session);
      const ps = processes(on.sockets).filter((p) => p.exe !== null);
      assert.ok(ps.some((p) => p.pid === holder.ports.pid), "the planted holder was seen");
      assert.ok(ps.every((p) => p.package !== undefined && p.provenance !== undefined), "every live holder with a program has its provenance");
      assert.ok(session.provenance, "the look session keeps the provenance session for the next look");
      const off = await auditor.lookAtHost({ provenance: false });
      const seen = processes(off.sockets);
      assert.ok(seen.some((p) => p.pid === holder.ports.pid));
      assert.ok(seen.every((p) => !("package" in p)));
    } finally {
      holder.stop();
    }
  });
});
