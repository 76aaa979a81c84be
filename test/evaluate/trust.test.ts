import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { exeOrigin, identify, isPublicAddress } from "../../src/evaluate/trust.js";
import type { ProcessInfo } from "../../src/model/process.js";

describe("isPublicAddress", () => {
  const cases: [string, boolean][] = [
    ["203.0.113.7", true], ["198.51.100.254", true], ["8.8.8.8", true], ["::ffff:203.0.113.9", true], ["2001:db8:1::10", true], ["2a00:1450::1", true],
    ["127.0.0.1", false], ["10.1.2.3", false], ["172.16.0.1", false], ["172.31.255.1", false], ["192.168.1.7", false], ["100.64.0.1", false],
    ["169.254.1.1", false], ["0.0.0.0", false], ["224.0.0.251", false], ["::1", false], ["::", false], ["fe80::1", false], ["fd00::1", false],
    ["ff02::fb", false], ["::ffff:10.0.0.1", false], ["172.32.0.1", true], ["100.128.0.1", true],
  ];
  for (const [address, expected] of cases) it(`isPublicAddress ${address} → ${expected}`, () => assert.equal(isPublicAddress(address), expected));
});

const proc = (name: string, exe: string | null, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({ pid: 1, name, exe, exeDeleted: false, cmdline: [exe ?? name], uid: 0, user: "root", containerId: null, netns: null, ...extra });

describe("identify", () => {
  const cases: [string, ProcessInfo, string[], boolean | null][] = [
    ["sshd from /usr/sbin", proc("sshd", "/usr/sbin/sshd"), ["sshd"], true],
    ["sshd from a home directory", proc("sshd", "/root/bin/sshd"), ["sshd"], false],
    ["python3 renamed avahi-daemon", proc("avahi-daemon", "/usr/bin/python3.11"), ["avahi-daemon"], false],
    ["systemd-resolved by its cut comm", proc("systemd-resolve", "/usr/lib/systemd/systemd-resolved"), ["systemd-resolve"], true],
    ["busybox as udhcpc", proc("udhcpc", "/bin/busybox", { cmdline: ["udhcpc"] }), ["udhcpc"], true],
    ["an upgraded daemon (deleted system file)", proc("sshd", "/usr/sbin/sshd", { exeDeleted: true }), ["sshd"], true],
    ["a capture: name only", proc("sshd", null), ["sshd"], true],
    ["a changed package binary", proc("sshd", "/usr/sbin/sshd", { package: { name: "openssh-server", version: "1", verified: false } }), ["sshd"], false],
    ["not one of them", proc("nginx", "/usr/sbin/nginx"), ["sshd"], null],
    // packaged daemons written in Python or Perl, started through their #! line: comm is the script's name, exe the interpreter
    ["wsdd, a packaged Python script (/usr/sbin/wsdd)", proc("wsdd", "/usr/bin/python3.11", { cmdline: ["/usr/bin/python3", "/usr/sbin/wsdd", "--shortlog"] }), ["wsdd"], true],
    ["munin-node, a packaged Perl script with #!/usr/bin/perl -wT", proc("munin-node", "/usr/bin/perl", { cmdline: ["/usr/bin/perl", "-wT", "/usr/sbin/munin-node"] }), ["munin-node"], true],
    ["unattended-upgrade, comm cut to 15 characters", proc("unattended-upgr", "/usr/bin/python3.11", { cmdline: ["/usr/bin/python3", "/usr/bin/unattended-upgrade"] }), ["unattended-upgr"], true],
    ["python3 renamed wsdd running another script", proc("wsdd", "/usr/bin/python3.11", { cmdline: ["/usr/bin/python3", "/opt/x/b.py"] }), ["wsdd"], false],
    ["a script named wsdd in a home directory", proc("wsdd", "/usr/bin/python3.11", { cmdline: ["/usr/bin/python3", "/home/u/.cache/wsdd"] }), ["wsdd"], false],
    ["a script named sshd in /opt (no package database vouches there)", proc("sshd", "/usr/bin/python3.11", { cmdline: ["/usr/bin/python3", "/opt/x/sshd"] }), ["sshd"], false],
    ["python3 -c renamed wsdd", proc("wsdd", "/usr/bin/python3.11", { cmdline: ["wsdd", "-c", "x"] }), ["wsdd"], false],
    ["a packaged script run by a changed interpreter", proc("wsdd", "/usr/bin/python3.11", { cmdline: ["/usr/bin/python3", "/usr/sbin/wsdd"], package: { name: "python3.11-minimal", version: "1", verified: false } }), ["wsdd"], false],
  ];
  for (const [what, p, owners, is] of cases) {
    it(`identify ${what}`, () => {
      const id = identify(p, [p.name ?? "", ...(p.exe ? [p.exe.slice(p.exe.lastIndexOf("/") + 1)] : [])], owners);
      assert.equal(id === null ? null : id.is, is);
    });
  }
  it("exeOrigin names where a program runs from", () => {
    assert.equal(exeOrigin(proc("x", "/home/u/.cache/x")), "hidden");
    assert.equal(exeOrigin(proc("x", "/home/u/bin/x")), "home");
    assert.equal(exeOrigin(proc("x", "/var/tmp/x")), "writable");
    assert.equal(exeOrigin(proc("x", "/memfd:x")), "fileless");
    assert.equal(exeOrigin(proc("x", "/usr/bin/x")), "system");
  });
});
