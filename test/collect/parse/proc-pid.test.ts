import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readlinkSync } from "node:fs";
import fc from "fast-check";
import {
  isPty, parseCgroupContainerId, parseCgroupUnit, parseCmdline, parseComm, parseExeLink, parseNetnsLink, parsePasswd, parseSocketLink, parseStat,
  parseStatusUid, ttyName, type StatRecord,
} from "../../../src/collect/parse/proc-pid.js";

const tree = new URL("../../fixtures/proc/debian12-holders/", import.meta.url).pathname;
const capture = JSON.parse(readFileSync(`${tree}CAPTURE.json`, "utf8")) as { capturePid: number; evil: { pid: number }; host: { pid: number } };

describe("parseSocketLink", () => {
  const cases: [string, number | null][] = [
    ["socket:[20853]", 20853], ["pipe:[1234]", null], ["/dev/null", null], ["anon_inode:[eventfd]", null],
    ["socket:[]", null], ["socket:[12x]", null], ["socket:[0]", null],
  ];
  for (const [link, want] of cases) it(`parseSocketLink reads "${link}" as ${want}`, () => assert.equal(parseSocketLink(link), want));
});

describe("parseNetnsLink", () => {
  it("parseNetnsLink reads a captured ns/net link and rejects other text", () => {
    assert.match(String(parseNetnsLink(readlinkSync(`${tree}${capture.capturePid}/ns/net`))), /^40265\d+$/);
    assert.equal(parseNetnsLink("mnt:[4026531841]"), null);
    assert.equal(parseNetnsLink("net:[x]"), null);
  });
});

describe("parseExeLink", () => {
  it("parseExeLink notices a deleted executable in a captured tree", () => {
    const { exe, deleted } = parseExeLink(readlinkSync(`${tree}${capture.evil.pid}/exe`));
    assert.equal(deleted, true);
    assert.match(exe, /^\/tmp\/pwcap-.*\/kworker$/);
    assert.deepEqual(parseExeLink("/usr/sbin/cupsd"), { exe: "/usr/sbin/cupsd", deleted: false });
  });
});

describe("parseComm", () => {
  it("parseComm keeps control characters (they are escaped only when printed) and drops the newline", () => {
    assert.equal(parseComm(readFileSync(`${tree}${capture.evil.pid}/comm`, "utf8")), "ev\u001b[31mil");
    assert.equal(parseComm("cupsd\n"), "cupsd");
    assert.equal(parseComm(""), null);
  });
});

describe("parseCmdline", () => {
  it("parseCmdline splits on NUL and keeps a rewritten title with spaces as one argument", () => {
    assert.deepEqual(parseCmdline(readFileSync(`${tree}${capture.host.pid}/cmdline`, "utf8")).slice(-2), ["--ttl", "30"]);
    assert.deepEqual(parseCmdline("sshd: root@pts/0\0"), ["sshd: root@pts/0"]);
    assert.deepEqual(parseCmdline("nginx: worker process"), ["nginx: worker process"]);
    assert.deepEqual(parseCmdline(""), []);
  });
});

describe("parseStatusUid", () => {
  it("parseStatusUid reads the real uid of a captured status file", () => {
    assert.equal(parseStatusUid(readFileSync(`${tree}1/status`, "utf8")), 0);
    assert.equal(parseStatusUid("Name:\tx\nUid:\t1000\t1000\t1000\t1000\n"), 1000);
    assert.equal(parseStatusUid("Name:\tx\n"), null);
  });
});

describe("parseStatusUid", () => {
  // The head of a real status file: `setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/self/status` on the test VM.
  const nobody = "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t4866\nNgid:\t0\nPid:\t4866\nPPid:\t4864\nTracerPid:\t0\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\nFDSize:\t256\nGroups:\t \n";
  const cases: [string, string, number | null][] = [
    ["a process run as nobody", nobody, 65534],
    ["the real uid of a set-uid process (real, effective, saved, filesystem)", "Name:\tpasswd\nUid:\t1000\t0\t0\t0\n", 1000],
    ["a file that starts with Uid:", "Uid:\t7\t7\t7\t7\n", 7],
    ["no Uid line", "Name:\tx\nGid:\t0\t0\t0\t0\n", null],
    ["a Uid line without a number", "Name:\tx\nUid:\tnone\n", null],
  ];
  for (const [what, text, want] of cases) it(`parseStatusUid reads ${what}`, () => assert.equal(parseStatusUid(text), want));
});

describe("parseCgroupContainerId", () => {
  const id = "3f1e5c0b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
  // Formats as documented by Docker (cgroup v1 and v2 with the systemd driver), Podman, containerd and Kubernetes.
  const cases: [string, string, string | null][] = [
    ["docker, cgroup v1", `12:pids:/docker/${id}\n11:cpu:/docker/${id}\n`, id],
    ["docker, cgroup v2 systemd", `0::/system.slice/docker-${id}.scope\n`, id],
    ["podman", `0::/machine.slice/libpod-${id}.scope/container\n`, id],
    ["containerd CRI", `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-${id}.scope\n`, id],
    ["kubepods v1", `1:cpu:/kubepods/besteffort/pod123/${id}\n`, id],
    ["the host (captured pid 1)", readFileSync(`${tree}1/cgroup`, "utf8"), null],
    ["a systemd service", "0::/system.slice/cups.service\n", null],
    ["a user session", "0::/user.slice/user-1000.slice/session-2.scope\n", null],
  ];
  for (const [what, text, want] of cases) it(`parseCgroupContainerId reads ${what}`, () => assert.equal(parseCgroupContainerId(text), want));
});

describe("parseStat", () => {
  // Real /proc/<pid>/stat lines, read on the 2-core test VM (Linux 6.18, Debian 12): pid 1; kthreadd; a cat
  // run by `script -qc` (its terminal pts/0 = 34816); a python3 that wrote "we) ird (x" to its own comm.
  const cases: [string, string, Omit<StatRecord, "pid"> & { pid: number } | null][] = [
    ["pid 1", "1 (process_api) S 0 0 0 0 -1 4194560 200372 82646693 0 5862 747 8781 310375 69017 10 -10 13 0 32 44122112 3322 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
      { pid: 1, name: "process_api", ppid: 0, ttyNr: 0, startTime: 32 }],
    ["kthreadd", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 32 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
      { pid: 2, name: "kthreadd", ppid: 0, ttyNr: 0, startTime: 32 }],
    ["a process on pts/0", "22756 (cat) R 22752 22752 22752 34816 22752 4194304 100 0 0 0 0 0 0 0 20 0 1 0 447666 3133440 380 18446744073709551615 94606524850176 94606524870057 140726604986752 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94606524886064 94606524887680 94606957088768 140726604991201 140726604991221 140726604991221 140726604992491 0\n",
      { pid: 22756, name: "cat", ppid: 22752, ttyNr: 34816, startTime: 447666 }],
    ["a name with spaces and parentheses: split at the last \")\"", "22834 (we) ird (x) R 22832 22832 12581 0 -1 4194304 2841 6494 0 0 4 1 3 3 20 0 1 0 447851 16977920 3370 18446744073709551615 94254872186880 94254872187221 140728816988464 0 0 0 0 16781312 2 0 0 0 17 0 0 0 0 0 0 94254872198576 94254872199192 94255004393472 140728816994472 140728816994603 140728816994603 140728816996303 0\n",
      { pid: 22834, name: "we) ird (x", ppid: 22832, ttyNr: 0, startTime: 447851 }],
    ["an empty name", "7 () S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n", { pid: 7, name: "", ppid: 1, ttyNr: 0, startTime: 99 }],
    // must fail
    ["empty text", "", null],
    ["no parentheses", "12 cat R 1 1 1 0", null],
    ["no closing parenthesis", "12 (cat R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", null],
    ["cut after the state", "22756 (cat) R 22752 22752\n", null],
    ["a pid that is no number", "x (cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", null],
    ["a ppid that is no number", "12 (cat) R y 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", null],
  ];
  for (const [what, text, want] of cases) it(`parseStat reads ${what}`, () => assert.deepEqual(parseStat(text), want));
  it("parseStat never throws, and reads back any name and numbers it is given", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 120 }), (text) => { parseStat(text); }), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ maxLength: 15 }), fc.nat(), fc.nat(), fc.nat(), (name, ppid, ttyNr, startTime) => {
      const line = `42 (${name}) S ${ppid} 1 1 ${ttyNr} -1 4194304 ${"0 ".repeat(12)}${startTime} 1 2 3\n`;
      assert.deepEqual(parseStat(line), { pid: 42, name, ppid, ttyNr, startTime });
    }), { numRuns: 500 });
  });
});

describe("ttyName", () => {
  // tty_nr packs (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12), as the kernel's new_encode_dev.
  const nr = (major: number, minor: number) => (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
  const cases: [number, string | null, boolean][] = [
    [0, null, false], [34816, "pts/0", true], [nr(136, 5), "pts/5", true], [nr(136, 300), "pts/300", true], [nr(137, 2), "pts/258", true],
    [nr(143, 255), "pts/2047", true], [nr(4, 1), "tty1", false], [nr(4, 63), "tty63", false], [nr(4, 64), "ttyS0", false],
    [nr(5, 1), "console", false], [nr(188, 0), "188:0", false], [nr(144, 0), "144:0", false],
  ];
  for (const [n, name, pty] of cases) {
    it(`ttyName reads ${n} as ${name}, isPty says ${pty}`, () => { assert.equal(ttyName(n), name); assert.equal(isPty(n), pty); });
  }
});

describe("parseCgroupUnit", () => {
  // The VM's own files (cgroup v1 and v2 side by side, no systemd) and the captured tree; the systemd ones
  // are written as systemd 252 (Debian 12) lays out its cgroup v2 tree (systemd.unit(5), "0::" + the path).
  const cases: [string, string, string | null][] = [
    ["a system service", "0::/system.slice/cups.service\n", "cups.service"],
    ["a template instance", "0::/system.slice/system-getty.slice/getty@tty1.service\n", "getty@tty1.service"],
    ["a login session", "0::/user.slice/user-1000.slice/session-3.scope\n", "session-3.scope"],
    ["an app of the user's manager", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope\n", "app-gnome-firefox-4242.scope"],
    ["a user service", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/pipewire.service\n", "pipewire.service"],
    ["the user's service manager itself", "0::/user.slice/user-1000.slice/user@1000.service/init.scope\n", "user@1000.service"],
    ["pid 1 under systemd", "0::/init.scope\n", "init.scope"],
    ["a docker container (systemd driver)", "0::/system.slice/docker-3f1e5c0b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f.scope\n", "docker-3f1e5c0b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f.scope"],
    ["a service inside a container running systemd", "0::/system.slice/docker-3f1e.scope/system.slice/nginx.service\n", "nginx.service"],
    ["cgroup v1 with the systemd hierarchy", "12:pids:/system.slice/ssh.service\n1:name=systemd:/system.slice/ssh.service\n0::/\n", "ssh.service"],
    ["no unit: the VM's pid 1", "9:name=systemd:/\n8:pids:/\n4:memory:/\n1:cpu:/\n0::/\n", null],
    ["no unit: a process of the VM", "9:name=systemd:/\n4:memory:/process_api/40627c3a70c452e8e5ccd7e803d02f0a\n0::/\n", null],
    ["the captured tree's pid 1", readFileSync(`${tree}1/cgroup`, "utf8"), null],
    ["a slice only", "0::/system.slice\n", null],
    ["a name that only ends like a unit", "0::/system.slice/x.service/..service\n", "x.service"],
    ["empty text", "", null],
  ];
  for (const [what, text, want] of cases) it(`parseCgroupUnit reads ${what}`, () => assert.equal(parseCgroupUnit(text), want));
});

describe("parsePasswd", () => {
  it("parsePasswd maps uids to names from a captured file, first entry winning, skipping junk", () => {
    const users = parsePasswd(readFileSync(`${tree}etc-passwd`, "utf8"));
    assert.equal(users.get(0), "root");
    const extra = parsePasswd("root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n# comment\nbroken\nnobody:x:65534:65534::/:/usr/sbin/nologin\nx:x::1\n");
    assert.deepEqual([...extra], [[0, "root"], [65534, "nobody"]]);
  });
});
