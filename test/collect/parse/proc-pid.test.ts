import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readlinkSync } from "node:fs";
import {
  parseCgroupContainerId, parseCmdline, parseComm, parseExeLink, parseNetnsLink, parsePasswd, parseSocketLink, parseStatusUid,
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

describe("parsePasswd", () => {
  it("parsePasswd maps uids to names from a captured file, first entry winning, skipping junk", () => {
    const users = parsePasswd(readFileSync(`${tree}etc-passwd`, "utf8"));
    assert.equal(users.get(0), "root");
    const extra = parsePasswd("root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n# comment\nbroken\nnobody:x:65534:65534::/:/usr/sbin/nologin\nx:x::1\n");
    assert.deepEqual([...extra], [[0, "root"], [65534, "nobody"]]);
  });
});
