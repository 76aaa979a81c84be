import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mergeFirewall, parseIpAddrJson } from "../../src/collect/parse/firewall-merge.js";
import { parseIptablesSave } from "../../src/collect/parse/iptables-save.js";
import { parseNftJson } from "../../src/collect/parse/nft-json.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { dnatRules, dockerProxyArgs, routeOut, setPublished } from "../../src/evaluate/published.js";
import { reachOf, setReach, type NamespaceFirewall } from "../../src/evaluate/reach.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { ipNumber } from "../../src/model/ip-number.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";

// Real captures (test/fixtures/firewall/README.md): docker-nat.save is iptables-save of docker's chain shapes
// (docker-nat.input.rules: the nat and filter rules dockerd 24 writes for three published ports) loaded in a
// namespace with a docker0 bridge; nft-dnat.json is nft -j of a DNAT ruleset; ip-addr-gateway.json is ip -j addr
// of a namespace with docker0 (172.17.0.1/16), ctr0 (198.51.100.1/24) and eth0 (203.0.113.1/24).
const dir = new URL("../fixtures/firewall/", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(`${dir}${name}`, "utf8");
const gateway = parseIpAddrJson(fixture("ip-addr-gateway.json"));
const docker = mergeFirewall(parseNftJson(fixture("docker-nat.nft.json")), [parseIptablesSave(fixture("docker-nat.save"), 4)]);
const nftDnat = mergeFirewall(parseNftJson(fixture("nft-dnat.json")), []);

describe("dnatRules", () => {
  it("dnatRules reads docker's DNAT rules in its DOCKER chain, reached from PREROUTING and OUTPUT", () => {
    assert.deepEqual(dnatRules(docker).map((d) => [d.proto, d.hostAddress, d.hostPort, `${d.toAddress}:${d.toPort}`, d.rule]), [
      ["tcp", null, 8080, "172.17.0.2:80", "rule 2 of chain DOCKER in table ip nat"],
      ["tcp", "127.0.0.1", 5432, "172.17.0.3:5432", "rule 3 of chain DOCKER in table ip nat"],
      ["udp", null, 5353, "172.17.0.4:53", "rule 4 of chain DOCKER in table ip nat"],
    ]);
  });
  it("dnatRules reads nft's dnat to, one mapping per port of a set", () => {
    assert.deepEqual(dnatRules(nftDnat).map((d) => [d.hostPort, `${d.toAddress}:${d.toPort}`]), [[15432, "198.51.100.2:5432"], [15433, "198.51.100.2:5433"], [15434, "198.51.100.2:5433"]]);
  });
  it("dnatRules finds none in a ruleset without nat chains", () => {
    assert.deepEqual(dnatRules(mergeFirewall(parseNftJson(fixture("nft-established-reject.json")), [])), []);
  });
});

describe("dockerProxyArgs", () => {
  const argv = ["/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "8080", "-container-ip", "172.17.0.2", "-container-port", "80"];
  const cases: [string, string[] | null, string | null, ReturnType<typeof dockerProxyArgs>][] = [
    ["docker's own argv", argv, "docker-proxy", { proto: "tcp", hostAddress: "0.0.0.0", hostPort: 8080, containerAddress: "172.17.0.2", containerPort: 80 }],
    ["a script named docker-proxy run by its interpreter", ["/usr/bin/python3", "/tmp/x/docker-proxy", ...argv.slice(1)], "docker-proxy", { proto: "tcp", hostAddress: "0.0.0.0", hostPort: 8080, containerAddress: "172.17.0.2", containerPort: 80 }],
    ["the same flags on another program", ["/usr/bin/socat", ...argv.slice(1)], "socat", null],
    ["no container address", ["/usr/bin/docker-proxy", "-host-port", "8080", "-container-port", "80"], "docker-proxy", null],
    ["a port out of range", ["/usr/bin/docker-proxy", "-host-port", "80800", "-container-ip", "172.17.0.2", "-container-port", "80"], "docker-proxy", null],
    ["no command line", null, "docker-proxy", null],
  ];
  for (const [what, cmdline, name, want] of cases) it(`dockerProxyArgs: ${what}`, () => assert.deepEqual(dockerProxyArgs(cmdline, name), want));
});

describe("routeOut", () => {
  it("routeOut picks the interface whose network holds the address, and none outside them", () => {
    assert.equal(routeOut("172.17.0.2", gateway), "docker0");
    assert.equal(routeOut("198.51.100.2", gateway), "ctr0");
    assert.equal(routeOut("192.0.2.1", gateway), undefined);
  });
});

describe("reachOf along a published port's DNAT path", () => {
  const follow = (to: string, port: number) => ({ addr: ipNumber(to)!.value, port, oif: routeOut(to, gateway) });
  it("reachOf follows docker's DNAT and FORWARD chains: open from outside, not from the bridge itself", () => {
    const r = reachOf({ proto: "tcp", family: 4, address: "0.0.0.0", port: 8080 }, { ruleset: docker, interfaces: gateway }, follow("172.17.0.2", 80));
    assert.deepEqual(r, { kind: "restricted", detail: "the firewall lets it be reached only from anyone on ctr0, eth0; otherwise no DNAT rule sends it there" });
  });
  it("reachOf says blocked when the forward chain drops what the DNAT sends on", () => {
    const r = reachOf({ proto: "udp", family: 4, address: "0.0.0.0", port: 5353 }, { ruleset: docker, interfaces: gateway }, follow("172.17.0.4", 53));
    assert.deepEqual(r, { kind: "blocked", detail: "iptables drops it (the policy of chain FORWARD in table ip filter)" });
  });
  it("reachOf names the forward chain's policy for a DNAT whose forward rule is missing", () => {
    const ctx = { ruleset: nftDnat, interfaces: gateway };
    assert.equal(reachOf({ proto: "tcp", family: 4, address: "0.0.0.0", port: 15432 }, ctx, follow("198.51.100.2", 5432)).kind, "open");
    assert.deepEqual(reachOf({ proto: "tcp", family: 4, address: "0.0.0.0", port: 15433 }, ctx, follow("198.51.100.2", 5433)),
      { kind: "blocked", detail: "nftables drops it (the policy of chain forward in table inet pwfilter)" });
  });
  it("reachOf without follow still says the DNAT diverts a host listener's port", () => {
    assert.equal(reachOf({ proto: "tcp", family: 4, address: "0.0.0.0", port: 8080 }, { ruleset: docker, interfaces: gateway }).kind, "restricted");
  });
});

function proc(pid: number, name: string, cmdline: string[], netns: number): ProcessInfo {
  return { pid, name, exe: cmdline[0] ?? null, exeDeleted: false, cmdline, uid: 0, user: "root", containerId: null, netns };
}
function listener(port: number, p: ProcessInfo, netns: number, exposure: Socket["exposure"], proto: "tcp" | "udp" = "tcp"): Socket {
  return {
    proto, family: 4, local: { address: "0.0.0.0", port }, remote: null, state: proto === "tcp" ? "LISTEN" : "UNCONN", direction: "listening", exposure,
    netns, inode: port, uid: 0, service: null, process: p, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
  };
}

describe("setPublished", () => {
  const HOST = 4026531840, CTR = 4026532999;
  const ctrInterfaces = [{ name: "lo", loopback: true, up: true, addresses: ["127.0.0.1"] }, { name: "eth0", loopback: false, up: true, addresses: ["172.17.0.2"], networks: ["172.17.0.2/16"] }];
  const firewalls = new Map<number | null, NamespaceFirewall>([
    [HOST, { ruleset: docker, interfaces: gateway, problem: null }],
    [CTR, { ruleset: { tables: [] }, interfaces: ctrInterfaces, problem: null }],
  ]);
  const setUp = () => {
    const proxy = listener(8080, proc(812, "docker-proxy", ["/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "8080", "-container-ip", "172.17.0.2", "-container-port", "80"], HOST), HOST, "all-interfaces");
    const web = listener(80, proc(900, "nginx", ["nginx"], CTR), CTR, "container");
    const sockets = [proxy, web];
    setReach(sockets, firewalls);
    return { proxy, web, warnings: setPublished(sockets, firewalls) };
  };

  it("setPublished gives the container's socket both mappings of its host port, with the DNAT path's reach", () => {
    const { web } = setUp();
    assert.deepEqual(web.published?.map((m) => [m.via, `${m.hostAddress}:${m.hostPort}`, `${m.containerAddress}:${m.containerPort}`, m.hostNetns, m.rule]), [
      ["dnat", "0.0.0.0:8080", "172.17.0.2:80", HOST, "rule 2 of chain DOCKER in table ip nat"],
      ["docker-proxy", "0.0.0.0:8080", "172.17.0.2:80", HOST, "docker-proxy, pid 812"],
    ]);
    assert.equal(web.published?.[0]?.reach?.kind, "restricted");
  });
  it("setPublished gives docker-proxy's listener where its port goes", () => {
    const { proxy } = setUp();
    assert.deepEqual(proxy.publishes?.map((m) => [m.via, `${m.containerAddress}:${m.containerPort}`]), [["dnat", "172.17.0.2:80"], ["docker-proxy", "172.17.0.2:80"]]);
  });
  it("setPublished warns of DNAT rules no host process listens behind, naming where they go", () => {
    const { warnings } = setUp();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /5432\/tcp on 127\.0\.0\.1 to 172\.17\.0\.3:5432 \(where no listener portwatch can see listens; rule 3 of chain DOCKER in table ip nat\)/);
    assert.match(warnings[0]!, /5353\/udp to 172\.17\.0\.4:53/);
    assert.doesNotMatch(warnings[0]!, /8080/);
  });
  it("setPublished run again on the same sockets does not add the mappings twice", () => {
    const { web } = setUp();
    setPublished([web], firewalls);
    assert.ok((web.published?.length ?? 0) <= 2);
  });
});

describe("exposed-service on a published port", () => {
  const knowledge = createKnowledge();
  const mapping = (hostAddress: string, kind: "open" | "blocked") => ({
    hostAddress, hostPort: 5432, containerAddress: "172.17.0.3", containerPort: 5432, hostNetns: 1, via: "dnat" as const, rule: "rule 3 of chain DOCKER in table ip nat",
    reach: { kind, detail: kind === "open" ? "the firewall lets anyone reach it on eth0" : "iptables drops it (rule 1 of chain DOCKER-USER in table ip filter)" },
  });
  const postgres = (published: Socket["published"]) => {
    const s = listener(5432, proc(77, "postgres", ["/usr/lib/postgresql/15/bin/postgres"], 2), 2, "container");
    if (published !== undefined) s.published = published;
    evaluate([s], { knowledge, mode: "live-root", origin: "live" });
    return s;
  };
  it("exposed-service gives a container's database published on every address the container advice, not the daemon's", () => {
    const s = postgres([mapping("0.0.0.0", "open")]);
    const r = s.reasons.find((x) => x.rule === "exposed-service");
    assert.ok(r, JSON.stringify(s.reasons));
    assert.match(r.message, /published on host port 0\.0\.0\.0:5432 \(DNAT: rule 3 of chain DOCKER in table ip nat\), and the firewall lets anyone reach it on eth0: publish it on 127\.0\.0\.1 only \(docker run -p 127\.0\.0\.1:5432:5432/);
    assert.doesNotMatch(r.message, /postgresql\.conf|listen_addresses/);
    assert.match(s.explanation ?? "", /published on host port 0\.0\.0\.0:5432 \(DNAT: rule 3 of chain DOCKER in table ip nat\): the firewall lets anyone reach it on eth0/);
  });
  it("exposed-service stays quiet for a container's database published on loopback, blocked on the way, or not published", () => {
    for (const s of [postgres([mapping("127.0.0.1", "open")]), postgres([mapping("0.0.0.0", "blocked")]), postgres(undefined)]) {
      assert.equal(s.reasons.some((x) => x.rule === "exposed-service"), false, JSON.stringify(s.published));
    }
  });
});
