import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPackageDatabase, lookUpOwners, topFolders, type DpkgAnswers } from "../../src/collect/package-db.js";

// The dpkg excerpts of a Debian 12 host (test/fixtures/dpkg/SOURCE.md): merged /usr, dash's diversion of /bin/sh.
const fsRoot = new URL("../fixtures/dpkg/root", import.meta.url).pathname;
const roots = { fsRoot, dpkgRoot: `${fsRoot}/var/lib/dpkg`, rpmRoot: `${fsRoot}/var/lib/rpm` };
const fresh = (): DpkgAnswers => ({ stamp: null, owners: new Map() });

describe("lookUpOwners", () => {
  const cases: [string, string, { stem: string; version: string | null; md5: string | null } | null][] = [
    ["a packaged program", "/usr/bin/python3.11", { stem: "python3.11-minimal", version: "3.11.2-6+deb12u6", md5: "61b1600a764d9e2947a52ad348b2b0dd" }],
    ["a program dash.list names /bin/dash (the /usr merge)", "/usr/bin/dash", { stem: "dash", version: "0.5.12-2", md5: "623e332d8ae2db8a2d050dcce9510b47" }],
    ["a library of a Multi-Arch: same package, listed under /lib", "/usr/lib/x86_64-linux-gnu/libc.so.6", { stem: "libc6:amd64", version: "2.36-9+deb12u14", md5: "33f1cb6525f26614bd3a334d63632484" }],
    ["the path dash diverts (/bin/sh): dash's own link, no checksum", "/usr/bin/sh", { stem: "dash", version: "0.5.12-2", md5: null }],
    ["where the diverted /bin/sh went: no other package here ships /bin/sh", "/usr/bin/sh.distrib", null],
    ["a file no package lists", "/usr/bin/not-packaged", null],
    ["a home directory (not looked for)", "/home/alice/bin/python3.11", null],
    ["/tmp (not looked for)", "/tmp/python3.11", null],
  ];
  for (const [what, path, want] of cases) {
    it(`lookUpOwners answers ${what}: ${want?.stem ?? "no package"}`, () => {
      const answers = fresh();
      lookUpOwners(roots, answers, [path]);
      assert.deepEqual(answers.owners.get(path), want);
    });
  }
  it("lookUpOwners answers several paths in one pass and keeps earlier answers", () => {
    const answers = fresh();
    answers.owners.set("/usr/bin/kept", { stem: "kept", version: "1", md5: null });
    lookUpOwners(roots, answers, ["/usr/bin/python3.11", "/usr/bin/dash", "/usr/bin/kept", "/usr/bin/python3.11"]);
    assert.deepEqual([...answers.owners.keys()].sort(), ["/usr/bin/dash", "/usr/bin/kept", "/usr/bin/python3.11"]);
    assert.equal(answers.owners.get("/usr/bin/kept")?.stem, "kept");
  });
  it("lookUpOwners does not alias /usr/bin and /bin where /bin is a folder of its own (no /usr merge)", () => {
    const unmerged = mkdtempSync(join(tmpdir(), "pw-unmerged-"));
    try {
      mkdirSync(join(unmerged, "bin"));
      const answers = fresh();
      lookUpOwners({ ...roots, fsRoot: unmerged }, answers, ["/usr/bin/dash", "/bin/dash"]);
      assert.equal(answers.owners.get("/usr/bin/dash"), null);
      assert.equal(answers.owners.get("/bin/dash")?.stem, "dash");
    } finally {
      rmSync(unmerged, { recursive: true, force: true });
    }
  });
  it("lookUpOwners answers no package when the database has no info folder (invalid root)", () => {
    const answers = fresh();
    lookUpOwners({ ...roots, dpkgRoot: "/nonexistent/dpkg" }, answers, ["/usr/bin/python3.11"]);
    assert.equal(answers.owners.get("/usr/bin/python3.11"), null);
  });
});

describe("topFolders", () => {
  const cases: [string, string][] = [
    ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib"], ["/usr/bin/python3.11", "/usr/bin"], ["/bin/sh", "/bin"], ["/x", "/"],
    ["/opt/google/chrome/chrome", "/opt/google"], ["/.", "/"], ["/usr", "/"],
  ];
  for (const [path, want] of cases) it(`topFolders of ${path} is ${want}`, () => assert.equal(topFolders(path), want));
});

describe("lookUpOwners and the folders packages install to", () => {
  it("lookUpOwners learns the folders once a search reads every list (a path no package owns)", () => {
    const answers = fresh();
    lookUpOwners(roots, answers, ["/usr/bin/python3.11"]);
    assert.equal(answers.folders ?? null, null, "found early: not every list was read");
    lookUpOwners(roots, answers, ["/usr/bin/not-packaged"]);
    for (const f of ["/", "/usr/bin", "/usr/lib", "/bin", "/lib", "/usr/share"]) assert.ok(answers.folders?.has(f), f);
    assert.ok(!answers.folders?.has("/srv/app"));
  });
  it("lookUpOwners answers a path outside the known folders without reading the lists", () => {
    const answers: DpkgAnswers = { ...fresh(), folders: new Set(["/usr/bin"]) };
    lookUpOwners(roots, answers, ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/srv/app/bin/server", "/usr/bin/python3.11"]);
    assert.equal(answers.owners.get("/usr/lib/x86_64-linux-gnu/libc.so.6"), null, "libc6 owns it, but /usr/lib is not among the folders given: not looked for");
    assert.equal(answers.owners.get("/srv/app/bin/server"), null);
    assert.equal(answers.owners.get("/usr/bin/python3.11")?.stem, "python3.11-minimal");
  });
});

describe("findPackageDatabase", () => {
  it("findPackageDatabase finds dpkg's, with a stamp that stays while the database does not change", () => {
    const a = findPackageDatabase(roots);
    assert.equal(a.kind, "dpkg");
    assert.deepEqual(findPackageDatabase(roots), a);
  });
  it("findPackageDatabase finds rpm's database when there is no dpkg, and none in an empty root", () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-rpm-"));
    try {
      assert.deepEqual(findPackageDatabase({ fsRoot: dir, dpkgRoot: `${dir}/var/lib/dpkg`, rpmRoot: `${dir}/var/lib/rpm` }), { kind: null });
      mkdirSync(`${dir}/var/lib/rpm`, { recursive: true });
      writeFileSync(`${dir}/var/lib/rpm/rpmdb.sqlite`, "");
      assert.deepEqual(findPackageDatabase({ fsRoot: dir, dpkgRoot: `${dir}/var/lib/dpkg`, rpmRoot: `${dir}/var/lib/rpm` }), { kind: "rpm", path: `${dir}/var/lib/rpm/rpmdb.sqlite` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
