import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkFolder, prepareFile, readTrustedFile, UnsafePlaceError, writeFileAtomic } from "../../src/collect/safe-file-store.js";

// These tests plant what another user would (folders and links owned by uid 65534, "nobody"): they need root.
const root = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), "pw-safe-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const unsafe = (re: RegExp) => (e: unknown) => e instanceof UnsafePlaceError && re.test(e.message);

describe("checkFolder", { skip: root ? false : "needs root to plant another user's files" }, () => {
  it("checkFolder makes the missing folders private (0700)", () => {
    const f = join(dir, "new", "deeper");
    checkFolder(f, { create: true });
    assert.equal(statSync(f).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, "new")).mode & 0o777, 0o700);
  });
  it("checkFolder refuses a folder that belongs to another user, naming it and what to do", () => {
    const f = join(dir, "theirs");
    mkdirSync(f, { mode: 0o755 });
    chownSync(f, 65534, 65534);
    assert.throws(() => checkFolder(join(f, "sub"), { create: true }), unsafe(new RegExp(`the folder "${f}" belongs to user 65534, not to root.*remove it or choose another folder`)));
    assert.deepEqual(readdirSync(f), []);
  });
  it("checkFolder refuses a folder every user or another group can write without the sticky bit, and a sticky one for a private folder", () => {
    const open = join(dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.throws(() => checkFolder(open), unsafe(/can be written by every user \(mode 0777\).*chmod 700/));
    const sticky = join(dir, "sticky");
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    checkFolder(sticky); // like /tmp: others cannot replace what is not theirs
    assert.throws(() => checkFolder(sticky, { privateFolder: true }), unsafe(/mode 01777, sticky/));
    const group = join(dir, "group");
    mkdirSync(group);
    chmodSync(group, 0o770);
    checkFolder(group); // root's group
    chownSync(group, 0, 100); // "users"
    assert.throws(() => checkFolder(group), unsafe(/can be written by its group \(mode 0770\)/));
  });
  it("checkFolder refuses a link on the way that belongs to another user, and a link to an unsafe folder", () => {
    const target = join(dir, "target");
    mkdirSync(target);
    const link = join(dir, "link");
    symlinkSync(target, link);
    lchownSync(link, 65534, 65534);
    assert.throws(() => checkFolder(join(link, "x"), { create: true }), unsafe(/is a link that belongs to user 65534/));
    const theirs = join(dir, "theirs2");
    mkdirSync(theirs);
    chownSync(theirs, 65534, 65534);
    const mine = join(dir, "mine-link");
    symlinkSync(theirs, mine);
    assert.throws(() => checkFolder(mine), unsafe(/the folder ".*theirs2" belongs to user 65534/));
  });
});

describe("writeFileAtomic, prepareFile and readTrustedFile", { skip: root ? false : "needs root to plant another user's files" }, () => {
  it("writeFileAtomic replaces a link at the path instead of writing through it, leaves a 0600 file and no temporary file", () => {
    const f = join(dir, "w");
    mkdirSync(f);
    const victim = join(dir, "victim");
    writeFileSync(victim, "root only\n", { mode: 0o600 });
    symlinkSync(victim, join(f, "state.json"));
    writeFileAtomic(join(f, "state.json"), "new\n");
    assert.equal(readFileSync(victim, "utf8"), "root only\n");
    assert.equal(readFileSync(join(f, "state.json"), "utf8"), "new\n");
    assert.equal(statSync(join(f, "state.json")).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(f), ["state.json"]);
  });
  it("prepareFile makes a missing file with mode 0600 and refuses a link or another user's file", () => {
    const f = join(dir, "p");
    assert.equal(prepareFile(join(f, "h.sqlite"), { create: false }), false);
    assert.equal(prepareFile(join(f, "h.sqlite"), { create: true }), true);
    assert.equal(statSync(join(f, "h.sqlite")).mode & 0o777, 0o600);
    symlinkSync("/etc/passwd", join(f, "l.sqlite"));
    assert.throws(() => prepareFile(join(f, "l.sqlite"), { create: true }), unsafe(/is a link: portwatch does not follow links/));
    writeFileSync(join(f, "o.sqlite"), "");
    chownSync(join(f, "o.sqlite"), 65534, 65534);
    assert.throws(() => prepareFile(join(f, "o.sqlite"), { create: false }), unsafe(/belongs to user 65534/));
  });
  it("readTrustedFile reads its own file and refuses a link, another user's file and one others can write", () => {
    const f = join(dir, "r");
    mkdirSync(f);
    writeFileSync(join(f, "ok"), "fine", { mode: 0o644 });
    assert.equal(readTrustedFile(join(f, "ok")), "fine");
    symlinkSync("/etc/shadow", join(f, "link"));
    assert.throws(() => readTrustedFile(join(f, "link")), unsafe(/is a link/));
    writeFileSync(join(f, "theirs"), "x");
    chownSync(join(f, "theirs"), 65534, 65534);
    assert.throws(() => readTrustedFile(join(f, "theirs")), unsafe(/belongs to user 65534/));
    writeFileSync(join(f, "open"), "x");
    chmodSync(join(f, "open"), 0o666);
    assert.throws(() => readTrustedFile(join(f, "open")), unsafe(/can be written by every user \(mode 0666\)/));
    assert.throws(() => readTrustedFile(join(f, "missing")), (e: unknown) => (e as { code?: string }).code === "ENOENT");
  });
});
