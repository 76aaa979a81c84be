import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addHolder, attribute } from "../../src/collect/attribute.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { sharedHolder } from "../../src/model/holders.js";
import type { ProcessInfo, SharedHolder } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";
import type { Verdict } from "../../src/model/verdict.js";

const knowledge = createKnowledge();

/** A process as the live collection reads it; `parent` becomes its ancestry (up to pid 1). */
function proc(pid: number, name: string, exe: string, cmdline: string[], extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid, name, exe, exeDeleted: false, cmdline, uid: 1000, user: "app", containerId: null, netns: 1, ancestry: [], tty: null, unit: null, terminalsBelow: [], ...extra };
}
function conn(process: ProcessInfo | null, sharedWith: readonly SharedHolder[], port = 443): Socket {
  return {
    proto: "tcp", family: 4, local: { address: "198.51.100.254", port: 40000 }, remote: { address: "203.0.113.5", port }, state: "ESTABLISHED",
    direction: "outbound", exposure: null, netns: 1, inode: 77, uid: 1000, service: null, process, sharedWith, verdict: "unknown", reasons: [], explanation: null,
  };
}
function listener(process: ProcessInfo | null, sharedWith: readonly SharedHolder[], port: number): Socket {
  return { ...conn(process, sharedWith), local: { address: "0.0.0.0", port }, remote: null, state: "LISTEN", direction: "listening", exposure: "all-interfaces" };
}
const judged = (s: Socket): Socket => { evaluate([s], { knowledge, mode: "live-root", origin: "live" }); return s; };
const rules = (s: Socket) => s.reasons.map((r) => r.rule).sort();

const python = (pid: number) => proc(pid, "python3", "/usr/bin/python3.11", ["/usr/bin/python3", "/opt/app/client.py"]);
const shell = (pid: number) => proc(pid, "sh", "/usr/bin/dash", ["sh", "-i"]);
const nginx = (pid: number) => proc(pid, "nginx", "/usr/sbin/nginx", ["nginx: worker process"], { exeDeleted: true, uid: 33, user: "www-data" });

describe("evaluate judges every holder", () => {
  // [what, socket, verdict, rules that must fire, a reason message must match]
  const cases: [string, () => Socket, Verdict, string[], RegExp | null][] = [
    ["a sh -i sharing python3's connection: suspicious, naming the shell", () => conn(python(812), [sharedHolder(shell(813))]), "suspicious", ["shell-socket"],
      /^Held with python3 \(pid 812\) by sh \(pid 813\): sh \(pid 813, \/usr\/bin\/dash\) is (a|an interactive) shell/],
    ["the same connection without the shell: not suspicious", () => conn(python(812), []), "expected", ["usual-outbound"], null],
    ["a shell known only by its name (another tool's output)", () => conn(python(812), [{ pid: 813, name: "bash" }]), "suspicious", ["shell-socket"], /^Held with python3 \(pid 812\) by bash \(pid 813\)/],
    ["a holder with a deleted program from /tmp: its finding says it is about that holder", () => conn(python(812), [sharedHolder(proc(900, "upd", "/tmp/.x/upd", ["/tmp/.x/upd"], { exeDeleted: true }))]),
      "suspicious", ["deleted-exe", "writable-dir-exe"], /^Held with python3 \(pid 812\) by upd \(pid 900\): it runs from a deleted file/],
    ["a holder whose owner exited meanwhile", () => conn(null, [sharedHolder(shell(813))]), "suspicious", ["shell-socket"], /^Held by sh \(pid 813\): /],
  ];
  for (const [what, make, verdict, fired, message] of cases) {
    it(`evaluate judges ${what}`, () => {
      const s = judged(make());
      assert.equal(s.verdict, verdict, JSON.stringify(s.reasons));
      for (const r of fired) assert.ok(rules(s).includes(r), `${r} missing: ${JSON.stringify(s.reasons)}`);
      if (message) assert.ok(s.reasons.some((r) => message.test(r.message)), JSON.stringify(s.reasons));
    });
  }

  it("evaluate says a finding once for a forked server's workers that run the same program", () => {
    const s = judged(listener(nginx(900), [sharedHolder(nginx(901)), sharedHolder(nginx(902))], 80));
    assert.deepEqual(s.reasons.filter((r) => r.rule === "deleted-exe").length, 1);
    assert.equal(s.verdict, "unknown");
  });

  it("evaluate keeps connections with other holders apart in its memo (same owner, one with a shell beside it)", () => {
    const owner = python(812);
    const plain = conn(owner, []);
    const withShell = conn(owner, [sharedHolder(shell(813))]);
    const again = conn(owner, []);
    evaluate([plain, withShell, again], { knowledge, mode: "live-root", origin: "live" });
    assert.deepEqual([plain.verdict, withShell.verdict, again.verdict], ["expected", "suspicious", "expected"]);
  });
});

describe("evaluate does not depend on which holder has the lowest pid", () => {
  // Holders as [name, exe, cmdline, index of the parent among them or -1]; each is given every order of
  // pids, joined by attribute (as the live collection does) and judged. The verdict, the rules and the
  // messages (pids aside) must not change.
  const families: [string, [string, string, string[], number][], (port: number) => boolean, Verdict][] = [
    ["python3 and the sh -i it started on its connection", [["python3", "/usr/bin/python3.11", ["python3", "/opt/app/client.py"], -1], ["sh", "/usr/bin/dash", ["sh", "-i"], 0]], () => false, "suspicious"],
    ["a C loader from /var/tmp, the shell it forked and that shell's child", [["loader", "/var/tmp/loader", ["/var/tmp/loader"], -1], ["bash", "/usr/bin/bash", ["bash"], 0], ["cat", "/usr/bin/cat", ["cat"], 1]], () => false, "suspicious"],
    ["a forked server's listener (a parent, two workers)", [["nginx", "/usr/sbin/nginx", ["nginx: master process"], -1], ["nginx", "/usr/sbin/nginx", ["nginx: worker process"], 0], ["nginx", "/usr/sbin/nginx", ["nginx: worker process"], 0]], () => true, "expected"],
  ];
  const orders = (n: number): number[][] => (n <= 1 ? [[0]] : orders(n - 1).flatMap((o) => Array.from({ length: n }, (_, i) => [...o.slice(0, i), n - 1, ...o.slice(i)])));
  for (const [what, holders, listening, verdict] of families) {
    it(`evaluate judges ${what} alike for every order of their pids`, () => {
      const seen = new Set<string>();
      for (const order of orders(holders.length)) {
        const pids = order.map((i) => 500 + i * 7);
        const processes = new Map<number, ProcessInfo>();
        holders.forEach(([name, exe, cmdline], i) => {
          const ancestry = [];
          for (let j = holders[i]![3]; j >= 0; j = holders[j]![3]) ancestry.push({ pid: pids[j]!, name: holders[j]![0], exe: holders[j]![1], uid: 1000 });
          ancestry.push({ pid: 1, name: "systemd", exe: "/usr/lib/systemd/systemd", uid: 0 });
          processes.set(pids[i]!, proc(pids[i]!, name, exe, cmdline, { ancestry }));
        });
        const held = new Map<number, number | number[]>();
        for (const pid of [...pids].reverse()) addHolder(held, 77, pid);
        const s = listening(0) ? listener(null, [], 80) : conn(null, []);
        attribute([s], { holders: held, processes });
        judged(s);
        assert.equal(s.verdict, verdict, JSON.stringify(s.reasons));
        seen.add(JSON.stringify([s.verdict, s.reasons.map((r) => [r.rule, r.message.replace(/pid \d+/g, "pid N")])]));
      }
      assert.equal(seen.size, 1, [...seen].join("\n"));
    });
  }

  it("evaluate gives the same verdict and rules whichever holder is `process` (unrelated holders, a passed descriptor)", () => {
    const a = python(600), b = shell(700);
    const one = judged(conn(a, [sharedHolder(b)]));
    const two = judged(conn(b, [sharedHolder(a)]));
    assert.equal(one.verdict, "suspicious");
    assert.equal(two.verdict, one.verdict);
    assert.deepEqual(rules(two), rules(one));
  });
});
