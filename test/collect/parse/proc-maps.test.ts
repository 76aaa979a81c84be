import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { environCode, environValue, executableFiles, parseLdSoPreload, parseMaps, splitPreload } from "../../../src/collect/parse/proc-maps.js";

// Real maps of /usr/bin/python3.11 with a library preloaded from /dev/shm (test/fixtures/proc-maps/SOURCE.md).
const dir = new URL("../../fixtures/proc-maps/", import.meta.url).pathname;
const maps = (name: string) => readFileSync(`${dir}${name}`, "utf8");
const LIB = "/dev/shm/pw-fixture-L4jF/libpwtest.so";

describe("parseMaps", () => {
  it("parseMaps reads every line of a real maps file: files, anonymous and special mappings", () => {
    const { records, problems } = parseMaps(maps("python3.11-ld-preload-dev-shm.maps"), "maps");
    assert.equal(problems.length, 0);
    assert.equal(records.length, 48);
    assert.deepEqual(records[1], { start: 0x41f000n, end: 0x6d2000n, perms: "r-xp", offset: 0x1f000n, dev: "fe:00", inode: 260811, path: "/usr/bin/python3.11", deleted: false });
    assert.ok(records.some((r) => r.path === "[stack]" && r.inode === 0));
    assert.ok(records.some((r) => r.path === null && r.perms === "rw-p"));
  });
  it("parseMaps takes \" (deleted)\" off the path and says so", () => {
    const { records } = parseMaps(maps("python3.11-ld-preload-deleted.maps"), "maps");
    const lib = records.filter((r) => r.path === LIB);
    assert.equal(lib.length, 5);
    assert.ok(lib.every((r) => r.deleted));
  });
  it("parseMaps keeps spaces in a path and reads memfd files", () => {
    const text = "7f0000000000-7f0000001000 r-xp 00000000 00:01 1035                       /memfd:payload (deleted)\n" +
      "7f0000001000-7f0000002000 r-xp 00000000 fe:00 77                         /opt/My App/lib x.so\n";
    assert.deepEqual(parseMaps(text, "maps").records.map((r) => [r.path, r.deleted]), [["/memfd:payload", true], ["/opt/My App/lib x.so", false]]);
  });
  it("parseMaps reports lines without the six fields, and keeps the rest", () => {
    const text = "00400000-0041f000 r--p 00000000 fe:00 260811 /usr/bin/python3.11\ngarbage\n00400000-0041f000 rwzp 00000000 fe:00 1 /x\n0041f000 r-xp 0 fe:00 1 /y\n";
    const { records, problems } = parseMaps(text, "maps");
    assert.equal(records.length, 1);
    assert.deepEqual(problems.map((p) => p.line), [2, 3, 4]);
  });
});

describe("executableFiles", () => {
  it("executableFiles lists the files mapped as code once each: the program, the preloaded library, libc, the loader", () => {
    const files = executableFiles(parseMaps(maps("python3.11-ld-preload-dev-shm.maps"), "maps").records).map((f) => f.path);
    assert.equal(files[0], "/usr/bin/python3.11");
    assert.ok(files.includes(LIB));
    assert.ok(files.some((f) => f.endsWith("/libc.so.6")));
    assert.ok(files.some((f) => f.endsWith("/ld-linux-x86-64.so.2")));
    assert.ok(!files.some((f) => f.startsWith("[")), "special mappings ([vdso]) are not files");
    assert.equal(new Set(files).size, files.length);
  });
  it("executableFiles says a library is deleted when the kernel does", () => {
    const files = executableFiles(parseMaps(maps("python3.11-ld-preload-deleted.maps"), "maps").records);
    assert.deepEqual(files.find((f) => f.path === LIB), { path: LIB, deleted: true });
  });
});

describe("environValue and splitPreload", () => {
  const environ = `HOME=/root\0LD_PRELOAD=${LIB} /usr/lib/x86_64-linux-gnu/libjemalloc.so.2:/tmp/b.so\0PATH=/usr/bin\0LD_PRELOAD=/second\0`;
  it("environValue reads the first LD_PRELOAD of a NUL-separated environment", () => assert.equal(environValue(environ, "LD_PRELOAD"), `${LIB} /usr/lib/x86_64-linux-gnu/libjemalloc.so.2:/tmp/b.so`));
  it("environValue gives null when the variable is not set, or only a longer name is", () => {
    assert.equal(environValue("HOME=/root\0", "LD_PRELOAD"), null);
    assert.equal(environValue("LD_PRELOAD_X=1\0", "LD_PRELOAD"), null);
    assert.equal(environValue("", "LD_PRELOAD"), null);
  });
  it("splitPreload splits on spaces and colons, as ld.so does", () => {
    assert.deepEqual(splitPreload(`${LIB} /usr/lib/x86_64-linux-gnu/libjemalloc.so.2:/tmp/b.so`), [LIB, "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/tmp/b.so"]);
    assert.deepEqual(splitPreload("  :: "), []);
  });
});

describe("environCode", () => {
  const cases: [string, string, string[]][] = [
    ["NODE_OPTIONS --require with a space, --import with '='", "NODE_OPTIONS=--max-old-space-size=512 --require /dev/shm/x.js --import=/tmp/y.mjs\0", ["/dev/shm/x.js", "/tmp/y.mjs"]],
    ["NODE_OPTIONS -r glued is not a path when relative (dotenv/config)", "NODE_OPTIONS=-r dotenv/config\0", []],
    ["RUBYOPT -r with the path glued", "RUBYOPT=-r/var/tmp/x.rb -W0\0", ["/var/tmp/x.rb"]],
    ["PERL5OPT -I and PERL5LIB folders", "PERL5OPT=-I/dev/shm/p -Mstrict\0PERL5LIB=/usr/share/perl5:/tmp/l\0", ["/dev/shm/p", "/usr/share/perl5", "/tmp/l"]],
    ["BASH_ENV, ENV and PYTHONSTARTUP name one file each", "BASH_ENV=/dev/shm/.b\0ENV=/tmp/e.sh\0PYTHONSTARTUP=/root/.pythonrc\0", ["/dev/shm/.b", "/tmp/e.sh", "/root/.pythonrc"]],
    ["PYTHONPATH, RUBYLIB and NODE_PATH folders, relative ones left out", "PYTHONPATH=/dev/shm/m::lib\0RUBYLIB=/opt/r\0NODE_PATH=/usr/lib/node_modules\0", ["/dev/shm/m", "/opt/r", "/usr/lib/node_modules"]],
    ["nothing that loads code", "HOME=/root\0PATH=/tmp:/usr/bin\0LD_PRELOAD=/tmp/x.so\0", []],
  ];
  for (const [what, environ, paths] of cases) it(`environCode ${what}`, () => assert.deepEqual(environCode(environ), paths));
});

describe("parseLdSoPreload", () => {
  const cases: [string, string, string[]][] = [
    ["empty", "", []],
    ["one library", "/usr/lib/libhide.so\n", ["/usr/lib/libhide.so"]],
    ["white space and colons", "/a.so /b.so\t/c.so:/d.so\n\n", ["/a.so", "/b.so", "/c.so", "/d.so"]],
    ["comments (glibc drops from # to the end of the line)", "# added by x\n/a.so # trailing\n#/b.so\n", ["/a.so"]],
  ];
  for (const [what, text, want] of cases) it(`parseLdSoPreload reads ${what}`, () => assert.deepEqual(parseLdSoPreload(text), want));
});
