import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { createAuditor } from "../../src/audit/auditor.js";
import type { Socket } from "../../src/model/socket.js";
import { createPublishLab, type PublishLab } from "../helpers/publish-lab.js";

// Published ports, live: in namespaces this test creates (test/helpers/publish-lab.ts), a "gw" namespace (the
// host) DNATs ports 15432 and 15433 to listeners in a second namespace "ctr" (the container, joined to gw by a
// veth pair), with a forward chain that lets only the first through; a peer namespace at 203.0.113.2 really
// connects through the DNAT. A docker-proxy is simulated: a python3 script named docker-proxy, started with
// docker-proxy's argv, listens in gw on 18080 and copies connections to ctr's 8081 (docker's binary is not
// installed; only the name and the command line are docker's). A whole live audit then must show both
// directions of each mapping. Only the sockets of the processes this test starts are asserted on.
const root = process.getuid?.() === 0;
const skip = root ? false : "needs root: ip netns add (CI runs as root)";

const NFT = `
table ip pwnat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local tcp dport 15432 dnat to 198.51.100.2:5432
    tcp dport 15433 dnat to 198.51.100.2:5433
  }
}
table inet pwfilter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    oifname "ctr0" ip daddr 198.51.100.2 tcp dport 5432 accept
  }
}
`;

describe("published ports through DNAT and docker-proxy, in namespaces the test creates", { skip }, () => {
  let lab: PublishLab;
  let ctrPid = 0, proxyPid = 0, gwNetns = 0;
  let mine: Socket[] = [];
  let warnings: string[] = [];
  before(async () => {
    lab = createPublishLab();
    gwNetns = statSync(`/run/netns/${lab.gw}`).ino;
    lab.run(lab.gw, ["nft", "-f", "-"], NFT);
    ctrPid = (await lab.listen(lab.ctr, [5432, 5433, 8081])).pid;
    proxyPid = (await lab.dockerProxy(18080, 8081)).pid;
    const look = await createAuditor().lookAtHost({ select: { listening: true }, provenance: false });
    mine = look.sockets.filter((s) => s.process?.pid === ctrPid || s.process?.pid === proxyPid);
    warnings = look.warnings;
  });
  after(() => lab?.close());

  const at = (pid: number, port: number): Socket => {
    const s = mine.find((x) => x.process?.pid === pid && x.local.port === port);
    assert.ok(s, `no listener of pid ${pid} on ${port} in the look`);
    return s;
  };

  it("the kernel agrees with the lab: 15432 reaches the container through DNAT, 15433 is dropped on the way, 18080 through the proxy", () => {
    assert.deepEqual(lab.probe([15432, 15433, 18080]), { 15432: "open", 15433: "timeout", 18080: "open" });
  });

  it("Auditor.lookAtHost: the container's listener says it is published on host port 15432 by DNAT, open from the peer's side", () => {
    const s = at(ctrPid, 5432);
    assert.equal(s.exposure, "container");
    assert.deepEqual(s.published?.map((m) => ({ ...m, reach: m.reach?.kind })), [{
      hostAddress: "0.0.0.0", hostPort: 15432, containerAddress: "198.51.100.2", containerPort: 5432, hostNetns: gwNetns, via: "dnat",
      rule: "rule 1 of chain prerouting in table ip pwnat", reach: "open",
    }]);
    assert.match(s.published![0]!.reach!.detail, /anyone .*eth0/);
    assert.match(s.explanation ?? "", /published on host port 0\.0\.0\.0:15432 \(DNAT: rule 1 of chain prerouting in table ip pwnat\): the firewall lets anyone reach it/);
  });

  it("Auditor.lookAtHost: a DNAT whose forward rule is missing is published but blocked, naming the forward chain's policy", () => {
    const m = at(ctrPid, 5433).published;
    assert.equal(m?.length, 1);
    assert.equal(m[0]!.hostPort, 15433);
    assert.deepEqual(m[0]!.reach, { kind: "blocked", detail: "nftables drops it (the policy of chain forward in table inet pwfilter)" });
  });

  it("Auditor.lookAtHost: a DNAT with no host listener is named in a warning, with the container socket it reaches", () => {
    const w = warnings.find((x) => x.startsWith("Host ports published by DNAT"));
    assert.ok(w, warnings.join("\n"));
    assert.match(w, new RegExp(`15432/tcp to 198\\.51\\.100\\.2:5432 \\(held by python3 \\(pid ${ctrPid}, [^)]*\\); rule 1 of chain prerouting in table ip pwnat\\)`));
  });

  it("Auditor.lookAtHost: docker-proxy's listener says where its port goes, and the container's listener says it is published by docker-proxy", () => {
    const proxy = at(proxyPid, 18080);
    assert.equal(proxy.process?.name, "docker-proxy");
    const want = { hostAddress: "0.0.0.0", hostPort: 18080, containerAddress: "198.51.100.2", containerPort: 8081, hostNetns: gwNetns, via: "docker-proxy", rule: `docker-proxy, pid ${proxyPid}` };
    assert.deepEqual(proxy.publishes?.map((m) => ({ ...m, reach: undefined })), [{ ...want, reach: undefined }]);
    assert.equal(proxy.publishes[0]!.reach?.kind, "open");
    assert.match(proxy.explanation ?? "", /its connections go on to 198\.51\.100\.2:8081 \(a container's port\), by docker-proxy/);
    const ctr = at(ctrPid, 8081);
    assert.deepEqual(ctr.published?.map((m) => m.rule), [`docker-proxy, pid ${proxyPid}`]);
    assert.equal(ctr.reasons.some((r) => r.rule === "unexpected-owner"), false);
  });
});

// docker's chain shapes through iptables (nf_tables backend), as dockerd writes them for `-p 15432:5432`
// with the bridge called ctr0 here: PREROUTING -m addrtype --dst-type LOCAL -j DOCKER, the DNAT in DOCKER,
// and FORWARD -o ctr0 -j DOCKER with the per-container ACCEPT (test/fixtures/firewall/docker-nat.input.rules).
const DOCKER_RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A DOCKER -i ctr0 -j RETURN
-A DOCKER ! -i ctr0 -p tcp -m tcp --dport 15432 -j DNAT --to-destination 198.51.100.2:5432
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
-A FORWARD -o ctr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o ctr0 -j DOCKER
-A FORWARD -i ctr0 ! -o ctr0 -j ACCEPT
-A DOCKER -d 198.51.100.2/32 ! -i ctr0 -o ctr0 -p tcp -m tcp --dport 5432 -j ACCEPT
COMMIT
`;

describe("a published port in docker's iptables chain shapes, in namespaces the test creates", { skip }, () => {
  let lab: PublishLab;
  let ctrPid = 0;
  before(async () => {
    lab = createPublishLab();
    lab.run(lab.gw, ["iptables-restore"], DOCKER_RULES);
    ctrPid = (await lab.listen(lab.ctr, [5432])).pid;
    await lab.listen(lab.gw, [2222]);   // a process in gw, through which the audit enters its namespace
  });
  after(() => lab?.close());

  it("Auditor.lookAtHost follows docker's DNAT and FORWARD chains: open from outside, not from the bridge, as the kernel does for the peer", async () => {
    assert.equal(lab.probe([15432])[15432], "open");
    const look = await createAuditor().lookAtHost({ select: { listening: true }, provenance: false });
    const s = look.sockets.find((x) => x.process?.pid === ctrPid && x.local.port === 5432);
    assert.deepEqual(s?.published?.map((m) => [m.via, m.hostPort, m.rule]), [["dnat", 15432, "rule 2 of chain DOCKER in table ip nat"]]);
    assert.deepEqual(s.published[0]!.reach, { kind: "restricted", detail: "the firewall lets it be reached only from anyone on eth0; otherwise no DNAT rule sends it there" });
  });
});
