import { it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listsReloader } from "../../src/audit/lists.js";
import { statePaths } from "../../src/audit/state-dir.js";
import { writeListData, writeListsConfig } from "../../src/watch/list-store.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/blocklists/${name}`, import.meta.url), "utf8");

it("listsReloader gives the same lists until lists update changes a copy or lists.json, then reads them again", () => {
  const dir = mkdtempSync(join(tmpdir(), "pw-reload-"));
  try {
    const paths = statePaths(dir);
    writeListsConfig(paths.lists, { version: 1, lists: [{ name: "drop", source: "/x", category: null, enabled: true }] });
    writeListData(paths.lists, "drop", fixture("spamhaus-drop-2016-03-23-head.txt"));
    const reload = listsReloader(paths);
    const first = reload();
    assert.equal(first.lists?.lists[0]?.count, 9);
    assert.equal(first.lists?.index.lookup("5.101.218.9")?.length, 1);
    assert.equal(reload(), first);
    writeListData(paths.lists, "drop", fixture("spamhaus-edrop-2015-09-28.txt"));
    const second = reload();
    assert.notEqual(second, first);
    assert.equal(second.lists?.lists[0]?.count, 71);
    assert.equal(second.lists?.index.lookup("5.101.218.9"), null);
    assert.equal(reload(), second);
    writeListsConfig(paths.lists, { version: 1, lists: [{ name: "drop", source: "/x", category: null, enabled: false }] });
    assert.equal(reload().lists, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
