import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ownerText, programOf, type ProcessInfo } from "../../src/model/process.js";

const p = (name: string | null, exe: string | null): Pick<ProcessInfo, "pid" | "name" | "exe" | "nameCut"> => ({ pid: 812, name, exe });

describe("ownerText", () => {
  const cases: [string, Pick<ProcessInfo, "pid" | "name" | "exe">, { exe?: boolean } | undefined, string][] = [
    ["name, pid and executable", p("cupsd", "/usr/sbin/cupsd"), undefined, "cupsd (pid 812, /usr/sbin/cupsd)"],
    ["no executable known", p("cupsd", null), undefined, "cupsd (pid 812)"],
    ["no name known", p(null, "/usr/sbin/cupsd"), undefined, "process 812 (/usr/sbin/cupsd)"],
    ["nothing but the pid", p(null, null), undefined, "process 812"],
    ["a name a capture cut ends in an ellipsis", { ...p("avahi-dae", null), nameCut: true }, undefined, "avahi-dae… (pid 812)"],
    ["without the executable when asked", p("cupsd", "/usr/sbin/cupsd"), { exe: false }, "cupsd (pid 812)"],
    ["an empty executable path counts as none", p("x", ""), undefined, "x (pid 812)"],
    ["a hostile name is not escaped here (renderers do)", p("a\u001bb", null), undefined, "a\u001bb (pid 812)"],
  ];
  for (const [what, proc, options, want] of cases) it(`ownerText: ${what}`, () => assert.equal(ownerText(proc, options), want));
});

describe("programOf", () => {
  const cases: [string, Pick<ProcessInfo, "name" | "exe"> | null, string][] = [
    ["the executable first", p("cupsd", "/usr/sbin/cupsd"), "/usr/sbin/cupsd"],
    ["else the name", p("cupsd", null), "cupsd"],
    ["else ?", p(null, null), "?"],
    ["no process: ?", null, "?"],
  ];
  for (const [what, proc, want] of cases) it(`programOf: ${what}`, () => assert.equal(programOf(proc), want));
});
