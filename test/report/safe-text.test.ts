import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonSafe, safeText } from "../../src/report/safe-text.js";

describe("safeText", () => {
  const cases: [string, string, string][] = [
    ["an escape sequence", "ev\u001b[31mil", "ev\\x1b[31mil"],
    ["a newline and a tab", "a\nb\tc", "a\\x0ab\\x09c"],
    ["a C1 CSI", "\u009b2J", "\\x9b2J"],
    ["a right-to-left override that makes \"dhss\" read \"sshd\"", "\u202edhss", "\\u202edhss"],
    ["every bidi embedding and override", "\u202a\u202b\u202c\u202d\u202e", "\\u202a\\u202b\\u202c\\u202d\\u202e"],
    ["the bidi isolates", "\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"],
    ["the direction marks", "\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"],
    ["zero-width characters and a byte order mark", "s\u200bs\u200dh\ufeffd", "s\\u200bs\\u200dh\\ufeffd"],
    ["the line and paragraph separators", "a\u2028b\u2029", "a\\u2028b\\u2029"],
    ["a tag character beyond U+FFFF", "x\u{e0041}", "x\\u{e0041}"],
    ["half a surrogate pair", "x\ud800", "x\\ud800"],
    ["letters, accents, symbols and right-to-left script as they are", "naïve ✓ 日本 שלום 😀", "naïve ✓ 日本 שלום 😀"],
  ];
  for (const [what, raw, want] of cases) it(`safeText shows ${what} as visible escapes: ${want}`, () => assert.equal(safeText(raw), want));
  it("safeText gives the same text back when there is nothing to escape", () => {
    const text = "/usr/sbin/cupsd";
    assert.equal(safeText(text), text);
  });
});

describe("jsonSafe", () => {
  it("jsonSafe escapes DEL, C1 and invisible formatting characters and parses back to the same value", () => {
    const value = { name: "x\u009b\u007fy\u001b\u202edhss\u2066\u2028\u{e0041}" };
    const json = jsonSafe(JSON.stringify(value));
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]|\udb40/.test(json), json);
    assert.deepEqual(JSON.parse(json), value);
  });

  it("jsonSafe escapes the same characters as its one full rule, for ASCII texts and for any other", () => {
    // The whole rule alone (what jsonSafe did before its shortcut for ASCII texts).
    const full = (json: string) => json.replace(/[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => c.split("").map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""));
    const pieces = fc.constantFrom("a", "~", "\u007e", "\u007f", "\u0080", "\u009f", "\u00a0", "\u00ad", "é", "\u0600", "\u200b", "\u202e", "\u2028", "\u2029", "\ufeff", "\u{e0041}", "日", "😀", "\\", "\"");
    fc.assert(fc.property(fc.array(fc.oneof(pieces, fc.string()), { maxLength: 20 }), (parts) => {
      const json = JSON.stringify(parts.join(""));
      assert.equal(jsonSafe(json), full(json));
    }), { numRuns: 500 });
  });
});
