import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { collectLinux } from "../../src/collect/linux.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";
import type { Verdict } from "../../src/model/verdict.js";
import { renderTable } from "../../src/report/render-table.js";
import type { IdentityRow } from "../../src/serve/ui/api.js";
import { cellParts, compareRows, LIST_COLUMNS, matches, rowCells, type Filter } from "../../src/serve/ui/rows.js";

// The dashboard's list (src/serve/ui/rows.ts) against the terminal table: same text, same order.
const tree = new URL("../fixtures/proc/debian12-holders/", import.meta.url).pathname;
const c = await collectLinux({ procRoot: tree, passwdFile: `${tree}etc-passwd`, netnsDir: "/nonexistent" });
const base = c.sockets[0] as Socket;
const proc = (over: Partial<ProcessInfo>): ProcessInfo => ({ pid: 4242, name: "nc", exe: "/usr/bin/nc.openbsd", exeDeleted: false, cmdline: ["nc", "-l"], uid: 1000, user: "alice", containerId: null, netns: null, ...over });
const sock = (over: Partial<Socket>): Socket => ({ ...base, ...over });
const row = (s: Socket, i = 0): IdentityRow => ({ identity: String(i).padStart(4, "0"), verdict: s.verdict, count: 1, socket: s });

const hostile: Socket[] = [
  sock({ process: proc({ name: "ev\u001b[31mil <b>x</b>", user: "bad\u009bname" }) }),
  sock({ family: 6, local: { address: "::1", port: 631 }, remote: null, process: null, uid: 7 }),
  sock({ remote: { address: "203.0.113.9", port: 443, host: "evil\u0007.example" }, service: { name: "https", port: 443 }, process: proc({ name: null, user: null, uid: 33 }) }),
  sock({ proto: "udp", family: 6, local: { address: "fe80::1", port: 5353 }, remote: { address: "2001:db8::2", port: 5353 }, process: null, uid: null }),
];

/** The cells of the one row of a table of one socket (columns are two or more spaces apart). */
function tableCells(s: Socket): string[] {
  const line = renderTable([s]).split("\n")[2] as string;
  return line.split(/ {2,}/);
}

describe("rowCells", () => {
  const at = (key: string) => LIST_COLUMNS.findIndex((col) => col.key === key);
  for (const s of [...c.sockets, ...hostile]) {
    it(`rowCells shows ${renderTable([s]).split("\n")[2]?.trim()} with the terminal table's text`, () => {
      const cells = rowCells(row(s));
      const [proto, local, remote, state, service, owner, user] = tableCells(s);
      // The table keeps netstat's "*:*" for no peer; the dashboard leaves the cell empty.
      assert.deepEqual([cells[at("proto")], cells[at("local")], cells[at("remote")], cells[at("state")], cells[at("service")], cells[at("user")]], [proto, local, s.remote === null ? "" : remote, state, service, user]);
      // The table keeps netstat's "pid/name"; the dashboard says "name (pid N)", the same escaped name.
      const m = /^(\d+)\/(.*)$/.exec(owner as string);
      assert.equal(cells[at("process")], m ? (m[2] === "?" ? `process ${m[1]}` : `${m[2]} (pid ${m[1]})`) : "-");
    });
  }
  it("rowCells shows a listener's reach with the terminal table's Reach word, and nothing for a socket without reach", () => {
    const kinds = ["loopback-only", "blocked", "restricted", "open", "unknown"] as const;
    for (const kind of kinds) {
      const s = sock({ direction: "listening", remote: null, reach: { kind, detail: "d" } });
      const header = renderTable([s]).split("\n")[0]!.trim().split(/ {2,}/);
      assert.equal(header.at(-1), "Reach");
      assert.equal(rowCells(row(s))[at("reach")], tableCells(s).at(-1), kind);
    }
    assert.equal(rowCells(row(sock({})))[at("reach")], "");
    assert.equal(matches(row(sock({ direction: "listening", remote: null, reach: { kind: "blocked", detail: "d" } })), { verdict: "", proto: "", direction: "", process: "", port: "", search: "blocked" }), true, "the search finds it");
  });
  it("rowCells shows control characters as \\xNN and HTML as it is", () => {
    const cells = rowCells(row(hostile[0] as Socket)).join(" ");
    assert.match(cells, /ev\\x1b\[31mil <b>x<\/b> \(pid 4242\)/);
    assert.match(cells, /bad\\x9bname/);
    assert.doesNotMatch(cells, /[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe("rowCells and cellParts", () => {
  const at = (key: string) => LIST_COLUMNS.findIndex((col) => col.key === key);
  it("rowCells leaves the Foreign Address of every listener and unconnected socket empty", () => {
    const peerless = c.sockets.filter((s) => s.direction === "listening" || s.remote === null);
    assert.ok(peerless.length > 0);
    assert.deepEqual(peerless.map((s) => rowCells(row(s))[at("remote")]), peerless.map(() => ""));
  });
  const cases: [string, string, string[], 0 | 1][] = [
    ["local", "127.0.0.1:631", ["127.0.0.1", ":631"], 0],
    ["local", "[::ffff:127.0.0.1]:8080", ["[::ffff:127.0.0.1]", ":8080"], 0],
    ["remote", "evil\\x07.example:443", ["evil\\x07.example", ":443"], 0],
    ["remote", "", [""], 0],
    ["process", "cupsd (pid 812)", ["cupsd", " (pid 812)"], 1],
    ["process", "a (pid 1) (pid 2)", ["a (pid 1)", " (pid 2)"], 1],
    ["process", "-", ["-"], 0],
    ["service", "ipp", ["ipp"], 0],
  ];
  for (const [key, text, parts, cutFirst] of cases) {
    it(`cellParts cuts ${JSON.stringify(text)} in the ${key} column at ${JSON.stringify(parts)}, the ${cutFirst === 0 ? "first" : "second"} part first`, () => {
      assert.deepEqual(cellParts(key, text), { parts, cutFirst });
      assert.equal(cellParts(key, text).parts.join(""), text);
    });
  }
});

describe("compareRows", () => {
  it("compareRows puts the rows in the terminal table's order: suspicious, unknown, expected; listeners, protocol, port, address", () => {
    const verdicts: Verdict[] = ["expected", "suspicious", "unknown"];
    const sockets = [...c.sockets, ...hostile].map((s, i) => sock({ ...s, verdict: verdicts[i % 3] as Verdict }));
    const table = renderTable(sockets).split("\n").filter((l) => /^(tcp|udp|raw)/.test(l)).map((l) => l.split(/ {2,}/).slice(0, 3).join(" ").replace(/\*:\*$/, ""));
    const rows = sockets.map(row).sort(compareRows).map((r) => rowCells(r).slice(1, 4).join(" "));
    assert.deepEqual(rows, table);
  });
});

describe("matches", () => {
  const none: Filter = { verdict: "", proto: "", direction: "", process: "", port: "", search: "" };
  const r = row(sock({ proto: "tcp", direction: "outbound", verdict: "suspicious", local: { address: "10.0.0.5", port: 51000 }, remote: { address: "198.51.100.7", port: 6667 },
    process: proc({}), reasons: [{ rule: "irc-outbound", verdict: "suspicious", message: "Connected to an IRC server port (6667)" }] }));
  const orphan = row(sock({ process: null }));
  const cases: [string, IdentityRow, Partial<Filter>, boolean][] = [
    ["no filter", r, {}, true],
    ["verdict", r, { verdict: "suspicious" }, true], ["another verdict", r, { verdict: "expected" }, false],
    ["protocol", r, { proto: "tcp" }, true], ["another protocol", r, { proto: "udp" }, false],
    ["direction", r, { direction: "outbound" }, true], ["another direction", r, { direction: "listening" }, false],
    ["process name, any case", r, { process: " NC " }, true], ["process pid text", r, { process: "(pid 4242)" }, true],
    ["executable", r, { process: "openbsd" }, true], ["another process", r, { process: "sshd" }, false],
    ["no owner against a process", orphan, { process: "owner" }, false],
    ["remote port", r, { port: "6667" }, true], ["local port", r, { port: "51000" }, true], ["part of a port", r, { port: "66" }, false],
    ["search: rule", r, { search: "irc-outbound" }, true], ["search: address", r, { search: "198.51.100.7:6667" }, true],
    ["search: user", r, { search: "alice" }, true], ["search: nothing", r, { search: "postgres" }, false],
  ];
  for (const [what, rr, f, want] of cases) it(`matches ${want ? "keeps" : "drops"} a row by ${what}`, () => assert.equal(matches(rr, { ...none, ...f }), want));
});
