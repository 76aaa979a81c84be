import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// `portwatch audit --deep` as users run it (bin/portwatch, the built CLI). The probe itself is tested in a
// namespace of its own (test/collect/deep-probe.test.ts); these runs never probe this machine's ports.
const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(main, args, { encoding: "utf8", timeout: 60_000, maxBuffer: 1 << 28, env: { ...process.env, FORCE_COLOR: "", NO_COLOR: "", ...env } });

describe("portwatch audit --deep", () => {
  it("portwatch audit --help describes --deep", () => {
    const r = run(["audit", "--help"]);
    assert.equal(r.status, 0);
    assert.match(r.stdout.replace(/\s+/g, " "), /--deep the slow checks for what hides: bind every TCP and UDP port of each network namespace and report ports in use that no socket table lists \(rule unlisted-port.*and look for processes missing from \/proc's listing/);
  });

  it("portwatch watch --help describes --deep and --deep-every", () => {
    const r = run(["watch", "--help"]);
    assert.equal(r.status, 0);
    const text = r.stdout.replace(/\s+/g, " ");
    assert.match(text, /--deep also look for ports nobody lists \(the bind probe of audit --deep, seconds per look\) on the first look and every 30th after it/);
    assert.match(text, /--deep-every <looks> with --deep: every this many looks instead \(implies --deep\)/);
  });

  it("portwatch audit --deep on a captured proc tree says the probe did not run, and lists the tree as without it", () => {
    const r = run(["audit", "--deep", "--json", "--proc-root", tree]);
    assert.equal(r.status, 0, r.stderr);
    const snap = JSON.parse(r.stdout);
    assert.equal(snap.sockets.length, 19);
    assert.ok(snap.warnings.some((w: string) => /^The deep check \(--deep\) probes the live host's ports, not a captured proc tree/.test(w)), snap.warnings.join("\n"));
  });

  it("portwatch audit --deep without the native addon says plainly that the probe needs it", () => {
    // -tl --no-owners --only suspicious: the least work; only the warning is asserted (nothing about this machine's sockets).
    const r = run(["audit", "--deep", "--no-owners", "-tl", "--only", "suspicious"], { PORTWATCH_NATIVE: "0" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^warning: The deep check \(--deep\) needs portwatch's native addon \(its bind probe\), which is not built or is turned off here/m);
  });

  it("portwatch audit --deep --from is a usage error (exit 2): a capture cannot be probed", () => {
    const r = run(["audit", "--deep", "--from", "-"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--deep probes the ports of this host; it cannot judge a capture \(--from\)/);
  });
});
