import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { elide, layoutColumns } from "../../src/report/columns.js";
import { formatEndpoint, renderCounts, renderTable, renderTableChunks } from "../../src/report/render-table.js";
import { jsonSafe, safeText } from "../../src/report/safe-text.js";
import { readdirSync, readFileSync } from "node:fs";
import { createAuditor } from "../../src/audit/auditor.js";
import { readCaptureText } from "../../src/audit/capture.js";
import { collectLinux } from "../../src/collect/linux.js";

const tree = new URL("../fixtures/proc/debian12-holders/", import.meta.url).pathname;
const c = await collectLinux({ procRoot: tree, passwdFile: `${tree}etc-passwd`, netnsDir: "/nonexistent" });

describe("safeText", () => {
  const cases: [string, string][] = [
    ["ev\u001b[31mil", "ev\\x1b[31mil"], ["a\nb\tc", "a\\x0ab\\x09c"], ["\u009b2J", "\\x9b2J"], ["\u007f", "\\x7f"], ["naïve ✓", "naïve ✓"],
  ];
  for (const [raw, want] of cases) it(`safeText shows ${JSON.stringify(raw)} as ${want}`, () => assert.equal(safeText(raw), want));
  it("jsonSafe escapes DEL and C1 controls and stays valid JSON", () => {
    const json = jsonSafe(JSON.stringify({ name: "x\u009b\u007fy\u001b" }));
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(json));
    assert.deepEqual(JSON.parse(json), { name: "x\u009b\u007fy\u001b" });
  });
});

describe("elide", () => {
  it("elide cuts the end or the middle and leaves short text alone", () => {
    assert.deepEqual([elide("abcdef", 10), elide("abcdefgh", 5), elide("[2001:db8::1234]:443", 12, "middle")], ["abcdef", "abcd…", "[2001…4]:443"]);
  });
});

describe("elide by address", () => {
  it("elide cuts an address's host and keeps its port whole", () => {
    assert.deepEqual([elide("192.168.100.200:54321", 12, "address"), elide("[2001:db8::1234]:443", 10, "address"), elide("*:*", 2, "address"), elide("Local Address", 9, "address")],
      ["19…200:54321", "[2…34]:443", "*…", "Local Ad…"]);
  });
});

describe("layoutColumns", () => {
  it("layoutColumns takes width from the lowest tier first, down to its min, before a higher tier gives any", () => {
    const { widths } = layoutColumns([{ header: "A", min: 2, tier: 1 }, { header: "B", min: 3, tier: 0 }, { header: "C", min: 3, tier: 2 }], [["aaaaaa", "bbbbbbbbbb", "cccccccccccc"]], 22);
    assert.deepEqual(widths, [3, 3, 12]); // B to its min, then A; C keeps all
  });
  it("layoutColumns squeezes the widest squeezable column until the table fits", () => {
    const { widths, lines } = layoutColumns([{ header: "A" }, { header: "B", min: 3 }, { header: "C", min: 3 }], [["x", "bbbbbbbbbb", "ccccc"]], 14);
    assert.deepEqual(widths, [1, 4, 5]); // B shrinks first, then on a tie the first one
    assert.ok(lines.every((l) => l.length <= 14));
  });
});

describe("renderTable", () => {
  it("renderTableChunks yields a big table in pieces of a few hundred rows, and they join to the whole table", () => {
    // 1,900 sockets: the fixture's, a hundred times over on other ports.
    const many = Array.from({ length: 100 }, (_, k) => c.sockets.map((s) => ({ ...s, local: { ...s.local, port: (s.local.port + k * 7) % 65536 } }))).flat();
    const pieces = [...renderTableChunks(many, { hostNetns: c.hostNetns })];
    assert.ok(pieces.length >= 7, `${pieces.length} pieces`);
    assert.ok(pieces.every((p) => p.endsWith("\n")));
    const text = pieces.join("");
    assert.equal(text, renderTable(many, { hostNetns: c.hostNetns }));
    const lines = text.split("\n").filter((l) => /^(tcp|udp|raw)6? /.test(l));
    const quiet = (l: string) => /^\S+\s+(\d+) (finished|closing) connections to /.exec(l);
    assert.equal(lines.reduce((n, l) => n + Number(quiet(l)?.[1] ?? 1), 0), many.length, "every socket is a row or counted in a line of finished connections");
    const rows = lines.filter((l) => !quiet(l));
    // Every row is as wide as the widest one in its columns: widths come from all rows, not from each piece.
    const stateAt = (text.split("\n")[0] as string).indexOf("State");
    assert.ok(rows.every((l) => /^\S/.test(l.slice(stateAt)) && l[stateAt - 1] === " "), "the State column lines up in every piece");
  });

  it("renderTable escapes control characters in process names and never emits raw ESC", () => {
    const text = renderTable(c.sockets, { hostNetns: c.hostNetns });
    assert.ok(!text.includes("\u001b"));
    assert.match(text, /\d+\/ev\\x1b\[31mil/);
  });

  it("renderTable fits every line into 80 columns on an 80-column terminal and keeps full lines off a terminal", () => {
    const long = c.sockets.map((s) => ({ ...s, local: { address: "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", port: 65535 }, process: s.process && { ...s.process, name: "a-very-long-program-name" } }));
    const fitted = renderTable(long, { width: 80, hostNetns: c.hostNetns });
    for (const line of fitted.split("\n")) assert.ok(line.length <= 80, `too wide (${line.length}): ${line}`);
    assert.match(fitted, /…/);
    assert.ok(renderTable(long, { hostNetns: c.hostNetns }).includes("[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535"));
  });

  it("renderTable groups sockets by verdict, worst first, with reasons under the rows that are not expected", () => {
    const judged = c.sockets.map((s, i) => ({ ...s, verdict: (["suspicious", "unknown", "expected"] as const)[i % 3]!, reasons: [{ rule: "r", verdict: "unknown" as const, message: `why ${i}` }] }));
    const lines = renderTable(judged, { hostNetns: c.hostNetns }).split("\n");
    const headings = lines.filter((l) => /^(SUSPICIOUS|UNKNOWN|EXPECTED) \(\d+\)$/.test(l));
    assert.deepEqual(headings, ["SUSPICIOUS (7)", "UNKNOWN (6)", "EXPECTED (6)"]);
    assert.ok(lines.some((l) => /^ {6}↳ why 0 \[r\]$/.test(l)));
    assert.ok(!lines.some((l) => l.includes("why 2 ")), "expected rows show no reasons without --explain");
    assert.ok(lines.some((l) => /↳ in network namespace \d+/.test(l)), "sockets outside the host namespace say so");
    assert.ok(renderTable(judged, { hostNetns: c.hostNetns, explain: true }).includes("why 2 [r]"));
  });

  it("renderTable --explain says who started the owner, its unit and its terminal, names escaped", () => {
    const s0 = c.sockets.find((s) => s.process !== null)!;
    const ancestry = [{ pid: 800, name: "ss\u001bhd", exe: "/usr/sbin/sshd", uid: 0 }, { pid: 1, name: "systemd", exe: "/usr/lib/systemd/systemd", uid: 0 }];
    const s = { ...s0, verdict: "unknown" as const, process: { ...s0.process!, ancestry, unit: "ssh.service", tty: "pts/0" } };
    const explained = renderTable([s], { explain: true }).split("\n");
    assert.ok(explained.includes("      started by: ss\\x1bhd (pid 800) ← systemd (pid 1); unit ssh.service; terminal pts/0"), explained.join("\n"));
    assert.ok(!renderTable([s]).includes("started by"), "only with --explain");
    assert.ok(!renderTable([{ ...s, process: s0.process }], { explain: true }).includes("started by"), "nothing when the context is unknown (the captured tree has no stat files)");
  });

  it("renderTable wraps long reasons on a terminal instead of cutting them", () => {
    const message = "It runs from a deleted file (/tmp/pwcap-bMut83/kworker): malware often deletes its own program after starting, to leave no trace";
    const judged = [{ ...c.sockets[0]!, verdict: "suspicious" as const, reasons: [{ rule: "deleted-exe", verdict: "suspicious" as const, message }] }];
    const lines = renderTable(judged, { width: 80 }).trimEnd().split("\n");
    assert.ok(lines.every((l) => l.length <= 80), lines.join("\n"));
    assert.ok(lines.length > 4, "the reason took more than one line");
    const detail = lines.slice(3).map((l) => l.trim()).join(" ");
    assert.equal(detail, `↳ ${message} [deleted-exe]`);
  });

  it("formatEndpoint brackets IPv6 and prints *:* for no peer", () => {
    assert.deepEqual([formatEndpoint({ address: "::1", port: 631 }), formatEndpoint({ address: "127.0.0.1", port: 631 }), formatEndpoint(null)], ["[::1]:631", "127.0.0.1:631", "*:*"]);
  });

  it("renderCounts counts by verdict, direction and owner", () => {
    assert.match(renderCounts(c.sockets), /^19 sockets: 0 suspicious, 19 unknown, 0 expected; 11 listening, 2 inbound, 6 outbound; 16 with a known owner\n$/);
  });
});

describe("renderTable over real captures", () => {
  const root = new URL("../fixtures/captures/", import.meta.url);
  const captures = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".txt")).sort();
  const auditor = createAuditor();
  const judged = (file: string) => auditor.judgeCapture(readCaptureText(auditor, readFileSync(new URL(file, root), "utf8"), { name: file })).sockets;

  it("renderTable shows 12 TIME_WAIT connections to one port as one line of finished connections, with no user", () => {
    const text = renderTable(judged("debian12-timewait/netstat-tunaep-timewait.txt"));
    assert.match(text, /^tcp\s+12 finished connections to 127\.0\.0\.1:3000 \(dev web server, TIME_WAIT\)$/m);
    assert.ok(!text.includes("127.0.0.1:3000  TIME_WAIT"), "no single row of them is left");
    const singles = text.split("\n").filter((l) => l.includes("TIME_WAIT") && !l.includes("finished connections"));
    assert.ok(singles.length > 0 && singles.every((l) => /TIME_WAIT\s+-\s+-\s*$/.test(l)), `the user column is empty, not 0:\n${singles.join("\n")}`);
    assert.match(renderTable(judged("windows/netstat-anb-fr.txt")), /^tcp\s+7 finished connections to 8\.8\.4\.4:443 \(https, TIME_WAIT\)$/m);
  });

  // A table's rows split into cells at the header's column starts (cells hold no runs of two spaces).
  const cellsOf = (header: string, line: string) => {
    const starts = ["Local Address", "Foreign Address", "State", "Service", "PID/Program", "User"].map((h) => header.indexOf(h));
    return [0, ...starts].map((at, i, all) => line.slice(at, all[i + 1]).trim());
  };
  for (const width of [80, 120]) {
    for (const file of captures) {
      it(`renderTable fits ${file} into ${width} columns and keeps every program and port whole`, () => {
        const sockets = judged(file);
        const isRow = (l: string) => /^(tcp|udp|raw)6? /.test(l);
        const fullText = renderTable(sockets).split("\n");
        const narrowText = renderTable(sockets, { width }).split("\n");
        for (const line of narrowText) assert.ok(line.length <= width, `too wide (${line.length}): ${line}`);
        // Reasons wrap on a terminal; the rows correspond one to one.
        const full = fullText.filter(isRow), narrow = narrowText.filter(isRow);
        assert.equal(narrow.length, full.length);
        full.forEach((line, i) => {
          const cut = narrow[i] as string;
          const quiet = / \d+ (finished|closing) connections to (\S+)/.exec(line);
          if (quiet) { assert.ok(cut.includes(quiet[2]!), `${quiet[2]} lost in: ${cut}`); return; }
          const [, local, remote, , , program] = cellsOf(fullText[0]!, line);
          assert.ok(cut.includes(program!), `program "${program}" cut in: ${cut}`);
          for (const address of [local!, remote!]) assert.ok(cut.includes(address.slice(address.lastIndexOf(":"))), `port of ${address} cut in: ${cut}`);
        });
      });
    }
  }
});
