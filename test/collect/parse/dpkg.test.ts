import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { listHasPath, parseDiversions, parseDpkgList, parseDpkgStatus, parseMd5sums, splitStem } from "../../../src/collect/parse/dpkg.js";

// Real text from a Debian 12 host (test/fixtures/dpkg/SOURCE.md); invalid inputs inline.
const db = new URL("../../fixtures/dpkg/root/var/lib/dpkg/", import.meta.url).pathname;
const read = (name: string) => readFileSync(`${db}${name}`, "utf8");

describe("parseDpkgList", () => {
  it("parseDpkgList reads python3.11-minimal.list: its folders and files, from /.", () => {
    const { records, problems } = parseDpkgList(read("info/python3.11-minimal.list"), "python3.11-minimal.list");
    assert.equal(problems.length, 0);
    assert.equal(records[0], "/.");
    assert.ok(records.includes("/usr/bin/python3.11"));
    assert.equal(records.length, 21);
  });
  it("parseDpkgList reports a line that is not an absolute path", () => {
    const { records, problems } = parseDpkgList("/.\nusr/bin/x\n/usr/bin/y\n", "bad.list");
    assert.deepEqual(records, ["/.", "/usr/bin/y"]);
    assert.deepEqual(problems.map((p) => [p.line, p.text]), [[2, "usr/bin/x"]]);
  });
});

describe("listHasPath", () => {
  const dash = read("info/dash.list");
  const cases: [string, string, boolean][] = [
    ["dash.list", "/bin/dash", true],
    ["dash.list", "/bin/sh", true],
    ["dash.list", "/usr/bin/dash", false], // dash.list says /bin/dash: the /usr merge is the reader's job
    ["dash.list", "/bin/da", false],
    ["dash.list", "/bin", true],
    ["dash.list", "", false],
  ];
  for (const [file, path, want] of cases) it(`listHasPath finds "${path}" in ${file}: ${want}`, () => assert.equal(listHasPath(dash, path), want));
  it("listHasPath matches whole lines at the start and the end of the text", () => {
    assert.equal(listHasPath("/a\n/b", "/b"), true);
    assert.equal(listHasPath("/a\n/b", "/a"), true);
    assert.equal(listHasPath("/ab\n/b", "/a"), false);
  });
});

describe("parseMd5sums", () => {
  it("parseMd5sums reads dash.md5sums with the leading slash put back", () => {
    const { records, problems } = parseMd5sums(read("info/dash.md5sums"), "dash.md5sums");
    assert.equal(problems.length, 0);
    assert.deepEqual(records.find((r) => r.path === "/bin/dash"), { path: "/bin/dash", md5: "623e332d8ae2db8a2d050dcce9510b47" });
  });
  it("parseMd5sums reads libc6:amd64.md5sums whole", () => {
    const { records, problems } = parseMd5sums(read("info/libc6:amd64.md5sums"), "libc6:amd64.md5sums");
    assert.equal(problems.length, 0);
    assert.ok(records.some((r) => r.path === "/lib/x86_64-linux-gnu/libc.so.6")); // listed as before the /usr merge
  });
  it("parseMd5sums reports lines that are not md5sum's format, and keeps the good ones", () => {
    const text = "623e332d8ae2db8a2d050dcce9510b47  bin/dash\nnot a line\n623e332d8ae2db8a2d050dcce9510b4  bin/short\n623E332D8AE2DB8A2D050DCCE9510B47 *bin/binary-mode\n";
    const { records, problems } = parseMd5sums(text, "x.md5sums");
    assert.deepEqual(records, [
      { path: "/bin/dash", md5: "623e332d8ae2db8a2d050dcce9510b47" },
      { path: "/bin/binary-mode", md5: "623e332d8ae2db8a2d050dcce9510b47" },
    ]);
    assert.deepEqual(problems.map((p) => p.line), [2, 3]);
  });
});

describe("parseDpkgStatus", () => {
  it("parseDpkgStatus reads the real stanzas of python3.11-minimal, libc6 and dash", () => {
    const { records, problems } = parseDpkgStatus(read("status"), "status");
    assert.equal(problems.length, 0);
    assert.deepEqual(records.map((r) => [r.package, r.architecture, r.version, r.status]).sort(), [
      ["dash", "amd64", "0.5.12-2", "install ok installed"],
      ["libc6", "amd64", "2.36-9+deb12u14", "install ok installed"],
      ["python3.11-minimal", "amd64", "3.11.2-6+deb12u6", "install ok installed"],
    ]);
  });
  it("parseDpkgStatus skips continuation lines and reports a stanza without Package and a line without a colon", () => {
    const text = "Package: a\nVersion: 1\nDescription: x\n more: with a colon\n\nVersion: 2\n\nPackage: b\nno colon here\n";
    const { records, problems } = parseDpkgStatus(text, "status");
    assert.deepEqual(records.map((r) => [r.package, r.version]), [["a", "1"], ["b", null]]);
    assert.deepEqual(problems.map((p) => [p.line, p.reason]), [[6, "a stanza without a Package field"], [9, "not \"Field: value\""]]);
  });
});

describe("parseDiversions", () => {
  it("parseDiversions reads the host's diversions: dash diverts /bin/sh to /bin/sh.distrib", () => {
    const { records, problems } = parseDiversions(read("diversions"), "diversions");
    assert.equal(problems.length, 0);
    assert.ok(records.some((d) => d.from === "/bin/sh" && d.to === "/bin/sh.distrib" && d.by === "dash"));
    assert.equal(records.length, 8);
  });
  it("parseDiversions reads ':' as a local diversion and reports an incomplete group", () => {
    const { records, problems } = parseDiversions("/usr/bin/a\n/usr/bin/a.real\n:\n/usr/bin/b\n/usr/bin/b.x\n", "diversions");
    assert.deepEqual(records, [{ from: "/usr/bin/a", to: "/usr/bin/a.real", by: null }]);
    assert.equal(problems[0]?.reason, "an incomplete diversion (three lines each)");
  });
});

describe("splitStem", () => {
  it("splitStem separates a Multi-Arch: same package's architecture", () => {
    assert.deepEqual(splitStem("libc6:amd64"), { name: "libc6", arch: "amd64" });
    assert.deepEqual(splitStem("python3.11-minimal"), { name: "python3.11-minimal", arch: null });
  });
});
