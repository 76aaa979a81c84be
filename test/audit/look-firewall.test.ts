import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { createAuditor } from "../../src/audit/auditor.js";
import { firewallsMoved, readFirewalls, type FirewallCache } from "../../src/collect/firewall.js";
import { nativeAddon } from "../../src/collect/native.js";
import type { Socket } from "../../src/model/socket.js";
import { createLooker } from "../../src/audit/look-loop.js";
import { createFirewallLab, type FirewallLab } from "../helpers/firewall-lab.js";

// A watcher notices a firewall-only change: a python3 listener in a namespace this test creates is open;
// then a rule that drops its port is loaded with nft, and nothing else about the socket changes. The next
// look must report a reach-changed event for it (open -> blocked), found through the namespace's nftables
// generation (NFT_MSG_GETGEN) when the host is otherwise steady, or through the look a socket change elsewhere
// starts. Only the planted listener's events are asserted on (other test files' sockets come and go).
const root = process.getuid?.() === 0;

describe("createLooker and firewall changes", { skip: root ? false : "needs root: ip netns add (CI runs as root)" }, () => {
  let lab: FirewallLab;
  let server: { pid: number; stop(): void };
  before(async () => { lab = createFirewallLab(); server = await lab.listen([2101]); });
  after(() => { server?.stop(); lab?.close(); });

  it("Looker.next reports reach-changed (open -> blocked) for a listener whose port a new rule drops, with no socket change", async () => {
    const looker = createLooker(createAuditor(), { provenance: false });
    const first = await looker.next();
    const mine = first.look.sockets.find((s) => s.process?.pid === server.pid && s.local.port === 2101);
    assert.equal(mine?.reach?.kind, "open");
    lab.inSrv(["nft", "-f", "-"], "table inet pwwatch {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport 2101 drop\n  }\n}\n");
    const second = await looker.next();
    const events = second.events.filter((e) => e.socket.process?.pid === server.pid);
    assert.deepEqual(events.map((e) => [e.type, e.wasReach, e.socket.reach?.kind, e.socket.local.port]), [["reach-changed", "open", "blocked", 2101]]);
    assert.match(events[0]!.socket.reach!.detail, /nftables drops it \(rule 1 of chain input in table inet pwwatch\)/);
    assert.equal(lab.probe([2101])[2101], "timeout", "the kernel drops it too");
    lab.inSrv(["nft", "delete", "table", "inet", "pwwatch"]);
  });

  it("firewallsMoved says whether a namespace's nftables generation moved since readFirewalls read it, and readFirewalls reuses an unmoved one", { skip: nativeAddon()?.nftGenId === undefined ? "needs the native addon (nftGenId)" : false }, async () => {
    const netns = statSync(`/run/netns/${lab.srv}`).ino;
    const listener: Socket = {
      proto: "tcp", family: 4, local: { address: "0.0.0.0", port: 2101 }, remote: null, state: "LISTEN", direction: "listening", exposure: "container",
      netns, inode: 1, uid: 0, service: null, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
      process: { pid: server.pid, name: "python3", exe: "/usr/bin/python3", exeDeleted: false, cmdline: [], uid: 0, user: "root", containerId: null, netns },
    };
    const cache: FirewallCache = new Map();
    const first = (await readFirewalls([listener], "/proc", undefined, cache)).get(netns);
    assert.equal(cache.size, 1);
    assert.equal(firewallsMoved(cache), false);
    assert.equal((await readFirewalls([listener], "/proc", undefined, cache)).get(netns), first, "an unmoved namespace's view is the one read before");
    lab.inSrv(["nft", "add", "table", "inet", "pwmoved"]);
    assert.equal(firewallsMoved(cache), true);
    const again = (await readFirewalls([listener], "/proc", undefined, cache)).get(netns);
    assert.notEqual(again, first);
    assert.ok(again?.ruleset?.tables.some((t) => t.name === "pwmoved"));
    assert.equal(firewallsMoved(cache), false);
  });
});
