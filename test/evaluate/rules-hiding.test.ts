import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { ownerAdvice } from "../../src/evaluate/explain.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import type { Hiding } from "../../src/model/hiding.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { HiddenFrom, Socket } from "../../src/model/socket.js";

const knowledge = createKnowledge();
const python: ProcessInfo = { pid: 812, name: "python3", exe: "/usr/bin/python3.11", exeDeleted: false, cmdline: ["/usr/bin/python3", "/opt/x/serve.py"], uid: 0, user: "root", containerId: null, netns: 4026531833 };
const listener = (port: number, hiddenFrom?: HiddenFrom, process: ProcessInfo | null = python, netns = 4026531833): Socket => ({
  proto: "tcp", family: 4, local: { address: "127.0.0.1", port }, remote: null, state: "LISTEN", direction: "listening", exposure: "loopback",
  netns, inode: 31125088, uid: 0, service: null, process, sharedWith: [], verdict: "unknown", reasons: [], explanation: null, ...(hiddenFrom ? { hiddenFrom } : {}),
});
const MOUNTED: Hiding = { processes: [{ pid: 6510, how: "mount", mount: { mountPoint: "/proc/6510", fstype: "ext4", source: "/dev/vda", root: "/tmp/empty" } }], emptyNamespaces: [] };
const judge = (s: Socket, hiding?: Hiding, mode: "live-root" | "live" | "capture" = "live-root") => {
  evaluate([s], { knowledge, mode, origin: mode === "capture" ? "linux-capture" : "live", ...(hiding ? { hiding } : {}) });
  return s;
};
const reason = (s: Socket, rule: string) => s.reasons.find((r) => r.rule === rule);

describe("hidden-socket", () => {
  it("hidden-socket calls a socket both views leave out suspicious, saying how it was seen, who holds it and what to look at", () => {
    const s = judge(listener(60895, "both"));
    assert.equal(s.verdict, "suspicious");
    assert.equal(reason(s, "hidden-socket")?.message,
      "netstat's view (/proc/net) leaves this TCP listener 127.0.0.1:60895 out, ss's view (netlink) leaves it out, read again while portwatch held a copy of it, but python3 (pid 812, /usr/bin/python3.11) holds it (socket:[31125088] in its fd table): " +
      "rootkits hide their sockets from both views this way; look at python3 (pid 812, /usr/bin/python3.11) with \"ps -o pid,user,args -p 812\" and \"ls -l /proc/812/fd | grep 31125088\"; check /etc/ld.so.preload and the kernel modules (\"cat /proc/modules\"), and check this computer from a rescue system");
  });

  it("hidden-socket says a socket lives in a network namespace no process is in, and names it", () => {
    const s = judge(listener(39729, "both", python, 4026532177), { processes: [], emptyNamespaces: [4026532177] });
    assert.equal(s.verdict, "suspicious");
    assert.match(reason(s, "hidden-socket")?.message ?? "", /^netstat's view leaves this TCP listener 127\.0\.0\.1:39729 out, ss's view leaves it out, but python3 \(pid 812, \/usr\/bin\/python3\.11\) holds it \(socket:\[31125088\] in its fd table\): it lives in network namespace 4026532177, which no process is in/);
  });

  it("hidden-socket stays out of listeners one view hides (hidden-port says those) and of ordinary ones", () => {
    for (const from of ["proc", "netlink", undefined] as const) {
      const s = judge(listener(8080, from));
      assert.equal(reason(s, "hidden-socket"), undefined, String(from));
      assert.equal(reason(s, "hidden-port") !== undefined, from !== undefined, String(from));
    }
    assert.equal(reason(judge(listener(8080, "both")), "hidden-port"), undefined);
  });
});

describe("unowned-listener while processes hide", () => {
  it("unowned-listener is suspicious while a process hides behind a mount, naming the mount and how to undo it", () => {
    const s = judge(listener(2024, undefined, null), MOUNTED);
    assert.equal(s.verdict, "suspicious");
    assert.equal(reason(s, "unowned-listener")?.message,
      "No process that portwatch can see holds this listener (TCP 127.0.0.1:2024), and a process hides from /proc's view: process 6510, behind a mount over /proc/6510 " +
      "(see it with \"grep /proc/6510 /proc/self/mountinfo\", undo it with \"umount /proc/6510\"). The listener is probably its; once it can be seen, run portwatch again to name the owner");
    assert.match(s.explanation ?? "", /lsof and ss -p cannot find its owner while a process hides from \/proc: undo the mount that hides process 6510 \("umount \/proc\/6510"/);
  });

  it("unowned-listener stays unknown when nothing hides, says nothing without root, and spares the kernel's ports", () => {
    assert.equal(reason(judge(listener(2024, undefined, null)), "unowned-listener")?.verdict, "unknown");
    assert.equal(reason(judge(listener(2024, undefined, null), MOUNTED, "live"), "unowned-listener"), undefined);
    assert.equal(reason(judge(listener(2049, undefined, null), MOUNTED), "unowned-listener"), undefined);
    assert.equal(reason(judge(listener(2024, undefined, python), MOUNTED), "unowned-listener"), undefined);
  });

  it("ownerAdvice points at the hidden process on the live host only", () => {
    assert.match(ownerAdvice(2024, "tcp", "live", { processes: [{ pid: 9, how: "kill" }], emptyNamespaces: [] }), /read process 9, which the \/proc listing leaves out, by name \("ls -l \/proc\/9\/fd"\)/);
    assert.equal(ownerAdvice(2024, "tcp", "linux-capture", MOUNTED), "find its owner with \"sudo lsof -i TCP:2024\" or \"sudo ss -tunap 'sport = :2024'\"");
    assert.equal(ownerAdvice(2024, "tcp", "live"), "find its owner with \"sudo lsof -i TCP:2024\" or \"sudo ss -tunap 'sport = :2024'\"");
  });
});
