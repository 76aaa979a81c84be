import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFirewall } from "../../src/collect/firewall.js";
import { reachOf } from "../../src/evaluate/reach.js";
import { createFirewallLab, type FirewallLab } from "../helpers/firewall-lab.js";

// More source ranges than reachOf tries (48 per interface), the usual shape of a host firewall: a blocklist
// set of 60 networks dropped first, then the office's network accepted, under a chain whose policy drops.
// The kernel lets the peer (the office) in; reachOf must not call the listener blocked (blocklists and
// country or cloud allowlists are thousands of networks long).
const root = process.getuid?.() === 0;
const PORT = 3021;

describe("reachOf with many source ranges", { skip: root ? false : "needs root: ip netns add (CI runs as root)" }, () => {
  let lab: FirewallLab;
  let server: { pid: number; stop(): void };
  before(async () => { lab = createFirewallLab(); server = await lab.listen([PORT]); });
  after(() => { server?.stop(); lab?.close(); });

  it("reachOf does not call blocked a listener that a rule after a long blocklist admits from one network", async () => {
    const bad = Array.from({ length: 60 }, (_, i) => `1.0.${i}.0/24`);
    lab.inSrv(["nft", "flush", "ruleset"]);
    lab.inSrv(["nft", "-f", "-"], `table inet pwallow {\n  set bad { type ipv4_addr; flags interval; elements = { ${bad.join(", ")} } }\n` +
      `  chain input {\n    type filter hook input priority 0; policy drop;\n    ct state established,related accept\n    ip saddr @bad drop\n    ip saddr ${lab.peerAddr}/32 tcp dport ${PORT} accept\n  }\n}\n`);
    const view = await readFirewall(`/proc/${server.pid}/ns/net`);
    assert.ok(view.ruleset !== null, view.problem ?? "");
    const kernel = lab.probe([PORT], 2000)[PORT];
    assert.equal(kernel, "open", "the kernel lets the peer in");
    const reach = reachOf({ proto: "tcp", family: 4, address: "0.0.0.0", port: PORT }, { ruleset: view.ruleset, interfaces: view.interfaces });
    assert.equal(reach.kind, "restricted", JSON.stringify(reach));
    assert.match(reach.detail, new RegExp(`only from ${lab.peerAddr.replace(/\./g, "\\.")} on eth0;`));
  });
});
