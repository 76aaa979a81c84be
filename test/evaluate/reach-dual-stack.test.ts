import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createAuditor } from "../../src/audit/auditor.js";
import { nativeAddon } from "../../src/collect/native.js";
import { createFirewallLab, type FirewallLab } from "../helpers/firewall-lab.js";

// IPv6 listeners on "::" with IPV6_V6ONLY off also take IPv4; with it on they do not. In a namespace this test
// creates, python3 opens one of each (a real dual-stack socket and a real v6only one), behind a firewall that
// lets only IPv4 in; a whole live audit reads IPV6_V6ONLY from the netlink dump (INET_DIAG_SKV6ONLY) and must
// walk the IPv4 path for the dual-stack listener only. The peer's real IPv4 connections agree.
const root = process.getuid?.() === 0;
const skip = !root ? "needs root: ip netns add (CI runs as root)" : nativeAddon() === null ? "needs the native addon (the netlink dump carries IPV6_V6ONLY)" : false;

const DUAL = 3301, V6ONLY = 3302;
const SERVER = String.raw`
import socket, sys, threading, time
held = []
def greet(s):
    while True:
        c, _ = s.accept(); c.sendall(b"hi"); held.append(c)
for port, only in ((${DUAL}, 0), (${V6ONLY}, 1)):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, only)
    s.bind(("::", port)); s.listen(16); held.append(s)
    threading.Thread(target=greet, args=(s,), daemon=True).start()
print("ready", flush=True)
end = time.time() + 300
while time.time() < end:
    time.sleep(0.2)
`;
const NFT = `
table inet pwdual {
  chain input {
    type filter hook input priority 0; policy drop;
    iif "lo" accept
    meta nfproto ipv4 tcp dport { ${DUAL}, ${V6ONLY} } accept
  }
}
`;

describe("reach of IPv6 listeners on :: with and without IPV6_V6ONLY", { skip }, () => {
  let lab: FirewallLab;
  let child: ChildProcess | null = null;
  before(async () => {
    lab = createFirewallLab();
    lab.inSrv(["nft", "-f", "-"], NFT);
    const c = spawn("ip", ["netns", "exec", lab.srv, "/usr/bin/python3", "-c", SERVER], { stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    await new Promise<void>((ok, fail) => {
      let err = "";
      const timer = setTimeout(() => fail(new Error(`the listeners did not start: ${err}`)), 10_000);
      c.stderr!.on("data", (d: Buffer) => { err += d; });
      c.stdout!.once("data", () => { clearTimeout(timer); ok(); });
      c.once("exit", (code) => { clearTimeout(timer); fail(new Error(`the listeners exited (${code}): ${err}`)); });
    });
    c.removeAllListeners("exit");
  });
  after(() => {
    if (child?.pid !== undefined && child.exitCode === null) { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }
    lab?.close();
  });

  it("the kernel: the dual-stack listener takes the peer's IPv4 connection, the v6only one refuses it", () => {
    assert.deepEqual(lab.probe([DUAL, V6ONLY]), { [DUAL]: "open", [V6ONLY]: "refused" });
  });

  it("Auditor.lookAtHost reads v6only from the dump and walks the IPv4 path only for the dual-stack listener", async () => {
    const look = await createAuditor().lookAtHost({ select: { listening: true }, provenance: false });
    const mine = look.sockets.filter((s) => s.process?.pid === child!.pid);
    const dual = mine.find((s) => s.local.port === DUAL), only = mine.find((s) => s.local.port === V6ONLY);
    assert.equal(dual?.v6only, false);
    assert.equal(only?.v6only, true);
    // IPv4 passes, IPv6 (eth0's link-local address) is dropped: reachable, but only over the IPv4 path
    assert.deepEqual(dual?.reach, { kind: "restricted", detail: "the firewall lets it be reached only from anyone on eth0; otherwise nftables drops it (the policy of chain input in table inet pwdual)" });
    assert.deepEqual(only?.reach, { kind: "blocked", detail: "nftables drops it (the policy of chain input in table inet pwdual)" });
  });
});
