import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseMountinfo, procPidMounts } from "../../../src/collect/parse/mountinfo.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/mountinfo/${name}`, import.meta.url), "utf8");

describe("parseMountinfo", () => {
  it("parseMountinfo reads every mount of a real mountinfo, with its root, mount point, type and source", () => {
    const { records, problems } = parseMountinfo(fixture("proc-pid-bind-mount.txt"));
    assert.deepEqual(problems, []);
    assert.equal(records.length, 22);
    assert.deepEqual(records.find((r) => r.mountPoint === "/proc/6510"), { id: 43, parent: 22, root: "/tmp/h15a-empty", mountPoint: "/proc/6510", fstype: "ext4", source: "/dev/vda" });
    assert.deepEqual(records.find((r) => r.mountPoint === "/proc")?.fstype, "proc");
  });

  it("parseMountinfo undoes the octal escapes of spaces and backslashes in paths", () => {
    const { records } = parseMountinfo("50 22 0:5 /my\\040dir /proc/77 rw - tmpfs a\\134b rw\n");
    assert.equal(records[0]?.root, "/my dir");
    assert.equal(records[0]?.source, "a\\b");
  });

  it("parseMountinfo takes any number of optional fields before the dash", () => {
    const { records } = parseMountinfo("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n");
    assert.deepEqual(records[0], { id: 36, parent: 35, root: "/mnt1", mountPoint: "/mnt2", fstype: "ext3", source: "/dev/root" });
  });

  it("parseMountinfo makes a problem of a line that is not a mount, with its line number, and keeps the others", () => {
    const { records, problems } = parseMountinfo("22 27 0:21 / /proc rw,relatime - proc proc rw\nnot a mount\n");
    assert.equal(records.length, 1);
    assert.equal(problems[0]?.line, 2);
    assert.equal(problems[0]?.text, "not a mount");
  });
});

describe("procPidMounts", () => {
  it("procPidMounts finds the bind mount over /proc/<pid> of a real capture", () => {
    assert.deepEqual(procPidMounts(parseMountinfo(fixture("proc-pid-bind-mount.txt")).records), [
      { pid: 6510, mount: { mountPoint: "/proc/6510", fstype: "ext4", source: "/dev/vda", root: "/tmp/h15a-empty" } },
    ]);
  });

  it("procPidMounts finds nothing on the same host without the mount", () => {
    assert.deepEqual(procPidMounts(parseMountinfo(fixture("plain.txt")).records), []);
  });

  it("procPidMounts counts mounts below a pid's folder, and a proc mounted elsewhere, but not /proc/sys or a pid-like name elsewhere", () => {
    const text = [
      "22 27 0:21 / /proc rw - proc proc rw",
      "23 27 0:22 / /srv/proc2 rw - proc proc rw",
      "30 22 0:30 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw",
      "31 22 0:31 / /proc/812/fd rw - tmpfs tmpfs rw",
      "32 23 0:32 / /srv/proc2/99 rw - tmpfs tmpfs rw",
      "33 27 0:33 / /data/1234 rw - tmpfs tmpfs rw",
      "34 22 0:34 / /proc/81x rw - tmpfs tmpfs rw",
    ].join("\n");
    assert.deepEqual(procPidMounts(parseMountinfo(text).records).map((m) => [m.pid, m.mount.mountPoint]), [[812, "/proc/812/fd"], [99, "/srv/proc2/99"]]);
  });
});
