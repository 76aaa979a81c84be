import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFirewall } from "../../src/collect/firewall.js";
import { reachOf } from "../../src/evaluate/reach.js";
import { createFirewallLab, type FirewallLab } from "../helpers/firewall-lab.js";

// Linux takes a packet for any of its addresses on any interface (the weak host model): a firewall that drops
// a port only on the interface that carries the listener's address does not stop a neighbour on another link
// that routes to that address through this host. The lab's srv gets a second link, wan0, with 192.0.2.<k>/32;
// the peer (on eth0) routes that address via srv's eth0 address and connects with a real handshake.
const root = process.getuid?.() === 0;
const PORT = 3011;

describe("reachOf with a second interface", { skip: root ? false : "needs root: ip netns add (CI runs as root)" }, () => {
  let lab: FirewallLab;
  let server: { pid: number; stop(): void };
  let wanAddr: string;
  let vipAddr: string;
  before(async () => {
    lab = createFirewallLab();
    const id = lab.srv.slice(-8);
    const n = 10 + (Number.parseInt(id.replace(/\D/g, ""), 10) % 200);
    wanAddr = `192.0.2.${n}`;
    // a service address on lo, as anycast and load-balanced (direct server return) hosts have
    vipAddr = `198.51.100.${n}`;
    // the second link's far end goes to the peer namespace unaddressed (a veth needs its far end up to carry)
    lab.inSrv(["ip", "link", "add", "wan0", "type", "veth", "peer", "name", "wanfar"]);
    lab.inSrv(["ip", "link", "set", "wanfar", "netns", lab.peer]);
    lab.inPeer(["ip", "link", "set", "wanfar", "up"]);
    lab.inSrv(["ip", "addr", "add", `${wanAddr}/32`, "dev", "wan0"]);
    lab.inSrv(["ip", "link", "set", "wan0", "up"]);
    lab.inPeer(["ip", "route", "add", `${wanAddr}/32`, "via", lab.srvAddr]);
    lab.inSrv(["ip", "addr", "add", `${vipAddr}/32`, "dev", "lo"]);
    lab.inPeer(["ip", "route", "add", `${vipAddr}/32`, "via", lab.srvAddr]);
    server = await lab.listen([`${wanAddr}:${PORT}`, `0.0.0.0:${PORT + 1}`]);
  });
  after(() => { server?.stop(); lab?.close(); });

  const judge = async (rules: string, port: number, address: string, to = wanAddr) => {
    lab.inSrv(["nft", "flush", "ruleset"]);
    lab.inSrv(["nft", "-f", "-"], `table inet pwweak {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    ${rules}\n  }\n}\n`);
    const view = await readFirewall(`/proc/${server.pid}/ns/net`);
    assert.ok(view.ruleset !== null, view.problem ?? "");
    const reach = reachOf({ proto: "tcp", family: 4, address, port }, { ruleset: view.ruleset, interfaces: view.interfaces });
    const kernel = lab.probe([port], 2000, "tcp", to)[port];
    return { reach, kernel };
  };

  it("reachOf does not call blocked a listener on wan0's address that a drop on wan0 alone leaves reachable from eth0", async () => {
    const { reach, kernel } = await judge(`iifname "wan0" tcp dport ${PORT} drop`, PORT, wanAddr);
    assert.equal(kernel, "open", "the kernel lets the peer on eth0 reach wan0's address");
    assert.equal(reach.kind, "restricted", JSON.stringify(reach));
    assert.match(reach.detail, /from anyone on eth0; otherwise nftables drops it \(rule 1 of chain input in table inet pwweak\)/);
  });
  it("reachOf does not call blocked a wildcard listener whose other address is dropped only on its own link", async () => {
    const { reach, kernel } = await judge(`iifname "wan0" tcp dport ${PORT + 1} drop\n    ip daddr != ${wanAddr} tcp dport ${PORT + 1} drop`, PORT + 1, "0.0.0.0");
    assert.equal(kernel, "open");
    assert.notEqual(reach.kind, "blocked", JSON.stringify(reach));
  });
  it("reachOf does not call blocked a wildcard listener that the network reaches at an address on lo", async () => {
    const { reach, kernel } = await judge(`ip daddr { ${lab.srvAddr}, ${wanAddr} } tcp dport ${PORT + 1} drop`, PORT + 1, "0.0.0.0", vipAddr);
    assert.equal(kernel, "open", "the kernel lets the peer reach the address on lo");
    assert.equal(reach.kind, "restricted", JSON.stringify(reach));
    assert.match(reach.detail, /from anyone on (eth0, wan0|wan0, eth0);/);
  });
  it("reachOf still says loopback-only for a listener on 127.0.0.1 beside an address on lo", async () => {
    const { reach } = await judge("counter", PORT + 1, "127.0.0.1");
    assert.equal(reach.kind, "loopback-only");
  });
  it("reachOf still says blocked where the drop names no interface, as the kernel does", async () => {
    const { reach, kernel } = await judge(`tcp dport ${PORT} reject`, PORT, wanAddr);
    assert.equal(kernel, "refused");
    assert.equal(reach.kind, "blocked");
  });
});
