import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hiddenComponent, homeOf, isOwnHome, noPackageCanOwn, placeOf, type Place } from "../../src/model/places.js";

describe("placeOf", () => {
  const cases: [string, Place | null][] = [
    ["/usr/sbin/sshd", null],
    ["/usr/lib/x86_64-linux-gnu/libc.so.6", null],
    ["/opt/app/bin/server", null],
    ["/tmp/x", "world-writable"],
    ["/var/tmp/.cache/xmrig", "world-writable"],
    ["/dev/shm/libx.so", "world-writable"],
    ["/run/shm/libx.so", "world-writable"],
    ["/memfd:payload", "memfd"],
    ["/memfd:doublemapper", "memfd"],
    ["/root/x", "home"],
    ["/home/alice/.cache/avahi-daemon", "home"],
    ["/var/home/alice/bin/x", "home"],
    ["/run/user/1000/x", "home"],
    ["/usr/lib/.x/libhide.so", "hidden"],
    ["/srv/app/.venv/lib/python3.11/site-packages/x.so", null],
    ["/srv/app/node_modules/.pnpm/better-sqlite3@11/node_modules/better-sqlite3/build/Release/better_sqlite3.node", null],
    ["/tmpfoo/x", null],
    ["/homework/x", null],
  ];
  for (const [path, want] of cases) it(`placeOf calls ${path} ${want ?? "an ordinary place"}`, () => assert.equal(placeOf(path), want));
});

describe("hiddenComponent and homeOf", () => {
  it("hiddenComponent finds the first dot folder and skips tools' own", () => {
    assert.equal(hiddenComponent("/usr/lib/.x/y/.z"), ".x");
    assert.equal(hiddenComponent("/srv/a/.venv/b"), null);
    assert.equal(hiddenComponent("/srv/a/../b"), null);
  });
  it("homeOf names the home directory a path is in", () => {
    assert.equal(homeOf("/home/alice/.local/lib/x.so"), "/home/alice");
    assert.equal(homeOf("/root/.pyenv/versions/3.11.7/bin/python3.11"), "/root");
    assert.equal(homeOf("/usr/bin/x"), null);
  });
  it("isOwnHome matches a home to its user by the usual convention", () => {
    assert.equal(isOwnHome("/home/alice", { uid: 1000, user: "alice" }), true);
    assert.equal(isOwnHome("/home/alice", { uid: 0, user: "root" }), false);
    assert.equal(isOwnHome("/root", { uid: 0, user: "root" }), true);
    assert.equal(isOwnHome("/run/user/1000", { uid: 1000, user: "alice" }), true);
    assert.equal(isOwnHome("/home/alice", { uid: 1000, user: null }), false);
  });
});

describe("noPackageCanOwn", () => {
  const cases: [string, boolean][] = [
    ["/usr/bin/python3.11", false], ["/opt/google/chrome/chrome", false], ["/usr/lib/.x/y", false],
    ["/home/alice/bin/x", true], ["/tmp/x", true], ["/usr/local/bin/x", true], ["/memfd:x", true], ["relative/x", true],
  ];
  for (const [path, want] of cases) it(`noPackageCanOwn says ${want} for ${path}`, () => assert.equal(noPackageCanOwn(path), want));
});
