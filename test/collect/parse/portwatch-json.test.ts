import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { detectFormat } from "../../../src/collect/parse/capture.js";
import { portwatchJsonReader } from "../../../src/collect/parse/portwatch-json.js";
import type { Socket } from "../../../src/model/socket.js";
import { socketJson } from "../../../src/report/render-json.js";

const read = (...lines: string[]) => {
  const r = portwatchJsonReader({ source: "in.json" });
  lines.forEach((l, i) => r.line(l, i + 1));
  return { ...r.finish(), hostname: r.hostname() };
};

const proc = { pid: 812, name: "cupsd", exe: "/usr/sbin/cupsd", exeDeleted: false, cmdline: ["/usr/sbin/cupsd", "-l"], uid: 0, user: "root", containerId: null, netns: 4026531840 };
const good = {
  proto: "tcp", family: 4, local: { address: "127.0.0.1", port: 631 }, remote: null, state: "LISTEN", direction: "listening", exposure: "loopback",
  netns: 4026531840, inode: 20853, uid: 0, service: { name: "ipp", port: 631 }, process: proc, sharedWith: [{ pid: 813, name: "cupsd" }],
  verdict: "suspicious", reasons: [{ rule: "r", verdict: "suspicious", message: "m" }], explanation: "e",
};
const line = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });

describe("portwatchJsonReader", () => {
  it("portwatchJsonReader keeps what collection gave and starts the judgement over", () => {
    const { records, problems } = read(line({}));
    assert.deepEqual(problems, []);
    assert.deepEqual(records[0], {
      proto: "tcp", family: 4, local: { address: "127.0.0.1", port: 631 }, remote: null, state: "LISTEN", direction: "unknown", exposure: null,
      netns: 4026531840, inode: 20853, uid: 0, service: null, process: proc, sharedWith: [{ pid: 813, name: "cupsd" }],
      verdict: "unknown", reasons: [], explanation: null,
    });
  });

  it("portwatchJsonReader reads its own --json output back to the same collected fields", () => {
    const s = read(line({ remote: { address: "::1", port: 5, host: "h" }, hiddenFrom: "proc", direction: "unknown", exposure: null, service: null, verdict: "unknown", reasons: [], explanation: null })).records[0] as Socket;
    const again = read(`{"schema":1,"host":{"hostname":"aspire","source":"live","collectedAt":"x"},"sockets":[`, socketJson(s), `],"warnings":[],"summary":{}}`);
    assert.deepEqual(again.problems, []);
    assert.equal(again.hostname, "aspire");
    assert.equal(socketJson(again.records[0] as Socket), socketJson(s));
  });

  it("portwatchJsonReader reads fields older output did not write as unknown (null, false, [])", () => {
    const { netns: _n, inode: _i, uid: _u, sharedWith: _s, ...old } = good;
    const { exeDeleted: _d, containerId: _c, netns: _pn, ...oldProc } = proc;
    const s = read(JSON.stringify({ ...old, process: oldProc })).records[0] as Socket;
    assert.deepEqual([s.netns, s.inode, s.uid, s.sharedWith, s.process?.exeDeleted, s.process?.containerId, s.process?.netns], [null, null, null, [], false, null, null]);
  });

  it("portwatchJsonReader drops keys the table does not have, at every level", () => {
    const s = read(line({ evil: 1, local: { address: "127.0.0.1", port: 631, evil: 2 }, process: { ...proc, evil: 3 }, sharedWith: [{ pid: 1, name: null, evil: 4 }] })).records[0] as Socket;
    assert.ok(!socketJson(s).includes("evil"), socketJson(s));
    assert.deepEqual(Object.keys(s.process!), Object.keys(proc));
  });

  it("portwatchJsonReader reads a host name where a capture printed one as the address (up to 255 characters)", () => {
    const name = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.example.org`;
    const { records, problems } = read(line({ remote: { address: name, port: 443, host: name } }));
    assert.deepEqual([problems, records[0]?.remote?.address], [[], name]);
  });

  it("portwatchJsonReader gives sockets of the same process one process object", () => {
    const { records } = read(line({}), line({ local: { address: "127.0.0.1", port: 632 } }), line({ process: { ...proc, pid: 9 } }));
    assert.equal(records[0]!.process, records[1]!.process);
    assert.notEqual(records[0]!.process, records[2]!.process);
  });

  const refused: [string, string, RegExp][] = [
    ["a protocol it does not know", line({ proto: "sctp" }), /field "proto" must be "tcp" \| "udp" \| "raw", not "sctp"/],
    ["a family that is not 4 or 6", line({ family: "4" }), /field "family" must be 4 \| 6, not "4"/],
    ["a port out of range", line({ local: { address: "127.0.0.1", port: 70000 } }), /field "local\.port" must be a whole number from 0 to 65535, not 70000/],
    ["a remote port that is text", line({ remote: { address: "1.2.3.4", port: "1,\"x\":1" } }), /field "remote\.port" must be a whole number/],
    ["a state that would write JSON of its own", line({ state: "LISTEN\",\"evil\":\"1" }), /field "state" must be "ESTABLISHED" \| .* not "LISTEN\\",\\"evil/],
    ["a namespace that is text", line({ netns: "1,\"evil\":2" }), /field "netns" must be a whole number \(0 or more\) or null/],
    ["an address with a line break", line({ local: { address: "1.2.3.4\nEVIL", port: 1 } }), /field "local\.address" must be an IPv4 or IPv6 address or a host name \(no spaces, control or formatting characters\)/],
    ["an IPv4 address with a number over 255", line({ local: { address: "999.1.1.1", port: 1 } }), /field "local\.address" must be an IPv4 or IPv6 address or a host name .*not "999\.1\.1\.1"/],
    ["a host name with a bidi override", line({ remote: { address: "moc.\u202eevil", port: 443 } }), /field "remote\.address" must be an IPv4 or IPv6 address or a host name/],
    ["a socket of a one-line document, by its place in the list", `{"schema":1,"host":{"hostname":null},"sockets":[${line({ proto: "sctp" })}]}`, /^sockets\[0\]: field "proto" must be/],
    ["a header whose host name is not a valid JSON string", `{"schema":1,"host":{"hostname":"\\x"},"sockets":[`, /field "host\.hostname" is not a valid JSON string/],
    ["a header whose host name holds an escape sequence", `{"schema":1,"host":{"hostname":"a\\u001b[2Jb"},"sockets":[`, /field "host\.hostname" must be a host name/],
    ["a negative pid", line({ process: { ...proc, pid: -1 } }), /field "process\.pid" must be a whole number from 0/],
    ["a container id that is not 64 hex digits", line({ process: { ...proc, containerId: "abc" } }), /field "process\.containerId" must be 64 hex digits or null, not "abc"/],
    ["an argument that is not text", line({ process: { ...proc, cmdline: ["a", 5] } }), /field "process\.cmdline\[1\]" must be text, not 5/],
    ["a holder list that is not a list", line({ sharedWith: { pid: 1 } }), /field "sharedWith" must be a list of objects, not {"pid":1}/],
    ["a hiddenFrom it does not know", line({ hiddenFrom: "fd" }), /field "hiddenFrom" must be "proc" \| "netlink" \| "both", not "fd"/],
    ["a socket without a protocol", line({ proto: undefined }), /field "proto" is missing/],
    ["a socket without its local end", line({ local: undefined }), /field "local" is missing/],
    ["a list instead of a socket", "[1,2]", /a JSON value that is not a portwatch socket object/],
    ["a number instead of a socket", "42", /a JSON value that is not a portwatch socket object/],
    ["text that is not JSON", "{\"proto\":", /not valid JSON/],
    ["text after a JSON value, with the column where it starts", "  {\"proto\":\"tcp\"} x", /not valid JSON: Unexpected non-whitespace character after JSON at column 19/],
    ["a one-line document whose sockets are not a list", `{"schema":1,"host":{"hostname":null},"sockets":{"proto":"tcp"}}`, /field "sockets" must be a list/],
  ];
  for (const [what, text, reason] of refused) {
    it(`portwatchJsonReader refuses ${what}, with the line and the field`, () => {
      const { records, problems } = read(line({}), text);
      assert.equal(records.length, 1);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.line, 2);
      assert.equal(problems[0]!.source, "in.json");
      assert.match(problems[0]!.reason, reason);
    });
  }
});

describe("portwatchJsonReader on documents pretty-printed or cut short", () => {
  // portwatch's real --json output of a captured proc tree (test/fixtures/captures/portwatch-json/SOURCE.md)
  const original = readFileSync(new URL("../../fixtures/captures/portwatch-json/audit-json-proc-root.json", import.meta.url), "utf8");
  const lines = original.split("\n");
  const readLines = (text: string) => read(...text.split("\n"));
  const asRead = readLines(original);
  const pretty = JSON.stringify(JSON.parse(original), null, 2); // what `jq .` makes of it

  it("portwatchJsonReader reads a pretty-printed document whole, to the same sockets and host name", () => {
    assert.ok(asRead.records.length > 5);
    const r = readLines(pretty);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.records.map((s) => socketJson(s)), asRead.records.map((s) => socketJson(s)));
    assert.equal(r.hostname, asRead.hostname);
    assert.equal(detectFormat(pretty.split("\n").slice(0, 40)).format, "portwatch-json");
  });

  it("portwatchJsonReader keeps the sockets complete before the cut of a pretty-printed document, and says where it breaks", () => {
    const cut = pretty.slice(0, Math.floor(pretty.length * 0.6));
    const r = readLines(cut);
    assert.equal(r.problems.length, 1);
    const p = r.problems[0]!;
    assert.equal(p.line, cut.split("\n").length);
    assert.match(p.reason, /^not valid JSON \(pretty-printed portwatch JSON, read whole\): .* at line \d+, column \d+; the (\d+) socket\(s\) complete before it are read$/);
    const kept = Number(/the (\d+) socket/.exec(p.reason)![1]);
    assert.ok(kept > 0 && kept < asRead.records.length);
    assert.deepEqual(r.records.map((s) => socketJson(s)), asRead.records.slice(0, kept).map((s) => socketJson(s)));
  });

  it("portwatchJsonReader says a --json document cut at a line's end is cut short, and keeps the sockets before", () => {
    const r = read(...lines.slice(0, 4));
    assert.equal(r.records.length, 3);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.line, 4);
    assert.match(r.problems[0]!.reason, /the list of sockets opened on line 1 is never closed .* cut short; the 3 socket\(s\) before are read/);
  });

  it("portwatchJsonReader says a one-line document cut short is not valid JSON, with the column", () => {
    const compact = JSON.stringify(JSON.parse(original));
    const r = read(compact.slice(0, 700));
    assert.equal(r.records.length, 0);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.reason, /^not valid JSON: .*column \d+/);
    assert.deepEqual(readLines(compact).records.map((s) => socketJson(s)), asRead.records.map((s) => socketJson(s)));
  });
});
