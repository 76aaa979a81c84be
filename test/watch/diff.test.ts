import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { identityOf } from "../../src/evaluate/identity.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Direction, Socket } from "../../src/model/socket.js";
import type { Verdict } from "../../src/model/verdict.js";
import { byIdentity, diff } from "../../src/watch/diff.js";

const proc = (pid: number, exe: string, user = "root"): ProcessInfo => ({ pid, name: exe.slice(exe.lastIndexOf("/") + 1), exe, exeDeleted: false, cmdline: [exe], uid: 0, user, containerId: null, netns: 1 });
function sock(direction: Direction, localPort: number, p: ProcessInfo | null, opts: { remotePort?: number; verdict?: Verdict; netns?: number; service?: string; proto?: "tcp" | "udp" } = {}): Socket {
  return {
    proto: opts.proto ?? "tcp", family: 4, local: { address: "0.0.0.0", port: localPort }, remote: direction === "listening" ? null : { address: "192.0.2.9", port: opts.remotePort ?? 443 },
    state: direction === "listening" ? "LISTEN" : "ESTABLISHED", direction, exposure: null, netns: opts.netns ?? 1, inode: 1, uid: 0,
    service: opts.service ? { name: opts.service, port: opts.remotePort ?? localPort } : null, process: p, sharedWith: [], verdict: opts.verdict ?? "expected", reasons: [], explanation: null,
  };
}
const id = (s: Socket) => identityOf(s, 1);
const look = (sockets: Socket[]) => byIdentity(sockets, id);
const at = "2026-11-26T12:00:00.000Z";

describe("identityOf", () => {
  const cases: [string, Socket, string][] = [
    ["a listener: protocol, port, executable, user, namespace kind", sock("listening", 22, proc(812, "/usr/sbin/sshd")), "L|tcp|22|/usr/sbin/sshd|root|host"],
    ["a listener in a container", sock("listening", 80, proc(9, "/usr/sbin/nginx"), { netns: 7 }), "L|tcp|80|/usr/sbin/nginx|root|container"],
    ["an outbound flow: executable and remote service", sock("outbound", 50123, proc(4242, "/usr/lib/firefox/firefox"), { service: "https" }), "O|tcp|/usr/lib/firefox/firefox|https"],
    ["an outbound flow to an unnamed port", sock("outbound", 50123, proc(7, "/opt/x/agent"), { remotePort: 8999 }), "O|tcp|/opt/x/agent|8999"],
    ["an inbound connection: the listener's port and program", sock("inbound", 22, proc(900, "/usr/sbin/sshd")), "I|tcp|22|/usr/sbin/sshd"],
    ["an owner nobody can see", sock("listening", 2024, null), "L|tcp|2024|?|0|host"],
  ];
  for (const [what, s, want] of cases) it(`identityOf: ${what}`, () => assert.equal(id(s), want));
});

describe("diff", () => {
  it("diff: a restarted daemon (new pid, same program and port) is no change", () => {
    const before = look([sock("listening", 22, proc(812, "/usr/sbin/sshd"))]);
    const after = look([sock("listening", 22, proc(3001, "/usr/sbin/sshd"))]);
    assert.deepEqual(diff(before, after, at), []);
  });
  it("diff: a known program's new ephemeral client port is no change", () => {
    const ff = proc(4242, "/usr/lib/firefox/firefox");
    const before = look([sock("outbound", 50123, ff, { service: "https" })]);
    const after = look([sock("outbound", 50999, ff, { service: "https" }), sock("outbound", 51000, ff, { service: "https" })]);
    assert.deepEqual(diff(before, after, at), []);
  });
  it("diff: a new listener appears, a closed one disappears, each once, in a stable order", () => {
    const before = look([sock("listening", 22, proc(1, "/usr/sbin/sshd")), sock("listening", 631, proc(2, "/usr/sbin/cupsd"))]);
    const after = look([sock("listening", 22, proc(1, "/usr/sbin/sshd")), sock("listening", 31337, proc(3, "/tmp/x"), { verdict: "suspicious" })]);
    const events = diff(before, after, at);
    assert.deepEqual(events.map((e) => [e.type, e.identity, e.at]), [
      ["disappeared", "L|tcp|631|/usr/sbin/cupsd|root|host", at],
      ["appeared", "L|tcp|31337|/tmp/x|root|host", at],
    ]);
  });
  it("diff: a verdict change is reported with the verdict before", () => {
    const before = look([sock("listening", 6379, proc(5, "/usr/bin/redis-server"), { verdict: "expected" })]);
    const after = look([sock("listening", 6379, proc(5, "/usr/bin/redis-server"), { verdict: "unknown" })]);
    assert.deepEqual(diff(before, after, at).map((e) => [e.type, e.was, e.socket.verdict]), [["verdict-changed", "expected", "unknown"]]);
  });
  it("diff: a listener whose reach moved (open -> blocked) with the same verdict is a reach change, with the reach before", () => {
    const redis = proc(5, "/usr/bin/redis-server");
    const s = sock("listening", 6379, redis, { verdict: "unknown" });
    s.reach = { kind: "open", detail: "the firewall lets anyone reach it on eth0" };
    const before = look([s]);
    // the same socket object, its reach set again in place by the next look (as a watcher's steady host does)
    s.reach = { kind: "blocked", detail: "nftables drops it (rule 1 of chain input in table inet f)" };
    const events = diff(before, look([s]), at);
    assert.deepEqual(events.map((e) => [e.type, e.wasReach, e.socket.reach?.kind]), [["reach-changed", "open", "blocked"]]);
  });
  it("diff: a reach known on one side only (the firewall could not be read) is no change", () => {
    const p = proc(5, "/usr/bin/redis-server");
    const open = sock("listening", 6379, p, { verdict: "unknown" });
    open.reach = { kind: "open", detail: "d" };
    assert.deepEqual(diff(look([open]), look([sock("listening", 6379, p, { verdict: "unknown" })]), at), []);
    assert.deepEqual(diff(look([sock("listening", 6379, p, { verdict: "unknown" })]), look([open]), at), []);
  });
  it("byIdentity counts the sockets of each identity when asked", () => {
    const ff = proc(4242, "/usr/lib/firefox/firefox");
    const counts = new Map<string, number>();
    byIdentity([sock("outbound", 1, ff, { service: "https" }), sock("outbound", 2, ff, { service: "https" }), sock("listening", 22, proc(1, "/usr/sbin/sshd"))], id, counts);
    assert.deepEqual([...counts], [["O|tcp|/usr/lib/firefox/firefox|https", 2], ["L|tcp|22|/usr/sbin/sshd|root|host", 1]]);
  });

  it("byIdentity keeps the worst verdict of sockets that share an identity", () => {
    const p = proc(1, "/usr/bin/node");
    const seen = look([sock("outbound", 1, p, { remotePort: 6667, verdict: "unknown" }), sock("outbound", 2, p, { remotePort: 6667, verdict: "suspicious" })]);
    assert.equal([...seen.values()][0]?.verdict, "suspicious");
  });
});
