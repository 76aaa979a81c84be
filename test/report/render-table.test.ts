import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { elide, layoutColumns } from "../../src/report/columns.js";
import { formatEndpoint, renderCounts, renderTable } from "../../src/report/render-table.js";
import { jsonSafe, safeText } from "../../src/report/safe-text.js";
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

describe("layoutColumns", () => {
  it("layoutColumns squeezes the widest squeezable column until the table fits", () => {
    const { widths, lines } = layoutColumns([{ header: "A" }, { header: "B", min: 3 }, { header: "C", min: 3 }], [["x", "bbbbbbbbbb", "ccccc"]], 14);
    assert.deepEqual(widths, [1, 4, 5]); // B shrinks first, then on a tie the first one
    assert.ok(lines.every((l) => l.length <= 14));
  });
});

describe("renderTable", () => {
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

  it("renderTable groups sockets by network namespace, the host's first", () => {
    const text = renderTable(c.sockets, { hostNetns: c.hostNetns });
    const headings = text.split("\n").filter((l) => l.startsWith("Network namespace"));
    assert.equal(headings.length, 2);
    assert.match(headings[0]!, /the host's/);
  });

  it("formatEndpoint brackets IPv6 and prints *:* for no peer", () => {
    assert.deepEqual([formatEndpoint({ address: "::1", port: 631 }), formatEndpoint({ address: "127.0.0.1", port: 631 }), formatEndpoint(null)], ["[::1]:631", "127.0.0.1:631", "*:*"]);
  });

  it("renderCounts counts by direction and owner", () => {
    assert.match(renderCounts(c.sockets), /^\d+ sockets: 11 listening, 2 inbound, 6 outbound; 16 with a known owner\n$/);
  });
});
