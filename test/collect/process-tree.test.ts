import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { StatRecord } from "../../src/collect/parse/proc-pid.js";
import { ancestorPids, terminalsBelow, TERMINAL_DEPTH, type TerminalPids } from "../../src/collect/process-tree.js";

const PTS = (n: number) => 34816 + n; // pts/n for n < 256 (major 136)
const TTY1 = (4 << 8) | 1;

/** A process table from [pid, ppid, name, tty_nr] rows. */
function table(rows: [number, number, string, number?][]): Map<number, StatRecord> {
  return new Map(rows.map(([pid, ppid, name, ttyNr]) => [pid, { pid, ppid, name, ttyNr: ttyNr ?? 0, startTime: 100 + pid }]));
}

// A host: systemd, sshd with a session, a web app whose python3 made a pty for bash (the reverse shell),
// a tmux server with a shell, a getty on tty1.
const host = table([
  [1, 0, "systemd"], [2, 0, "kthreadd"], [50, 2, "kworker/0:1"],
  [800, 1, "sshd"], [900, 800, "sshd"], [901, 900, "bash", PTS(0)], [950, 901, "vim", PTS(0)],
  [1000, 1, "gunicorn"], [1001, 1000, "sh"], [1002, 1001, "python3"], [1003, 1002, "bash", PTS(3)], [1004, 1003, "id", PTS(3)],
  [1100, 1, "tmux: server"], [1101, 1100, "bash", PTS(1)], [1102, 1101, "python3", PTS(1)],
  [1200, 1, "agetty", TTY1], [1300, 1302, "orphan"],
]);

describe("ancestorPids", () => {
  const cases: [string, number, number[] | null][] = [
    ["a shell of an ssh session: up to pid 1", 901, [900, 800, 1]],
    ["pid 1: no parents", 1, []],
    ["a kernel thread: up to kthreadd", 50, [2]],
    ["a process whose parent is not in the table (exited meanwhile)", 1300, []],
    ["a pid not in the table", 4242, null],
  ];
  for (const [what, pid, want] of cases) it(`ancestorPids of ${what}`, () => assert.deepEqual(ancestorPids(host, pid), want));

  it("ancestorPids ends a loop (a table read while pids were reused)", () => {
    assert.deepEqual(ancestorPids(table([[10, 11, "a"], [11, 12, "b"], [12, 10, "c"]]), 10), [11, 12]);
  });
});

describe("terminalsBelow", () => {
  const cases: [string, number[], [number, TerminalPids[]][]][] = [
    ["the web app's python3 and its parents: the pty its python3 made, with who is between",
      [1000, 1001, 1002],
      [[1002, [{ ttyNr: PTS(3), between: [], on: [1003, 1004] }]], [1001, [{ ttyNr: PTS(3), between: [1002], on: [1003, 1004] }]],
        [1000, [{ ttyNr: PTS(3), between: [1001, 1002], on: [1003, 1004] }]]]],
    ["sshd: its session's terminal, through the session's sshd", [800, 900], [[900, [{ ttyNr: PTS(0), between: [], on: [901, 950] }]], [800, [{ ttyNr: PTS(0), between: [900], on: [901, 950] }]]]],
    ["a program run from a terminal: the terminal is above it, not below", [1102, 950], []],
    ["pid 1 never gets the host's terminals", [1], []],
    ["a getty's tty1 is no pseudo-terminal", [1200], []],
    ["no holders", [], []],
  ];
  for (const [what, holders, want] of cases) {
    it(`terminalsBelow finds ${what}`, () => assert.deepEqual([...terminalsBelow(host, new Set(holders))].sort((a, b) => a[0] - b[0]), want.sort((a, b) => a[0] - b[0])));
  }

  it("terminalsBelow looks at most TERMINAL_DEPTH parents up from a terminal", () => {
    const rows: [number, number, string, number?][] = [[10, 1, "holder"]];
    for (let i = 1; i <= TERMINAL_DEPTH; i++) rows.push([10 + i, 10 + i - 1, `p${i}`]);
    const deep = 10 + TERMINAL_DEPTH;
    rows.push([500, deep, "bash", PTS(7)]);
    assert.equal(terminalsBelow(table(rows), new Set([10])).size, 0);
    assert.equal(terminalsBelow(table(rows), new Set([11])).get(11)?.[0]?.between.length, TERMINAL_DEPTH - 1);
  });

  it("terminalsBelow keeps the nearest 8 terminals of a holder and the first 4 processes on each", () => {
    const rows: [number, number, string, number?][] = [[10, 1, "holder"], [11, 10, "mux"]];
    for (let i = 0; i < 12; i++) rows.push([100 + i, i % 2 ? 10 : 11, "bash", PTS(i)]);
    for (let i = 0; i < 6; i++) rows.push([200 + i, 100, "job", PTS(0)]);
    const found = terminalsBelow(table(rows), new Set([10])).get(10) ?? [];
    assert.equal(found.length, 8);
    assert.deepEqual(found.slice(0, 6).map((t) => t.between), [[], [], [], [], [], []]); // the direct children's terminals first
    assert.deepEqual(found.find((t) => t.ttyNr === PTS(0))?.on, [100, 200, 201, 202]);
  });

  it("terminalsBelow costs nothing when no process has a pseudo-terminal", () => {
    assert.equal(terminalsBelow(table([[10, 1, "nginx"], [11, 10, "nginx"]]), new Set([10, 11])).size, 0);
  });
});
