import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SOCKET_STATES, type SocketState } from "../../src/model/socket.js";
import { ORPHAN_STATES, SHUTDOWN_STATES } from "../../src/model/socket-state.js";

describe("SHUTDOWN_STATES and ORPHAN_STATES", () => {
  const cases: [SocketState, boolean, boolean][] = [
    ["ESTABLISHED", false, false], ["SYN_SENT", false, false], ["SYN_RECV", false, false], ["LISTEN", false, false],
    ["NEW_SYN_RECV", false, false], ["UNCONN", false, false],
    ["FIN_WAIT1", true, true], ["FIN_WAIT2", true, true], ["TIME_WAIT", true, true], ["CLOSE", true, true],
    ["LAST_ACK", true, true], ["CLOSING", true, true],
    // The peer has closed; this end's program still holds the socket: shutting down, never an orphan.
    ["CLOSE_WAIT", true, false],
  ];
  for (const [state, shutdown, orphan] of cases) {
    it(`SHUTDOWN_STATES ${shutdown ? "has" : "has not"} ${state}; ORPHAN_STATES ${orphan ? "has" : "has not"}`, () => {
      assert.equal(SHUTDOWN_STATES.has(state), shutdown);
      assert.equal(ORPHAN_STATES.has(state), orphan);
    });
  }
  it("SHUTDOWN_STATES and ORPHAN_STATES: every state is in the table above, and the orphan states are shutdown states", () => {
    assert.deepEqual([...cases.map((c) => c[0])].sort(), [...SOCKET_STATES].sort());
    for (const s of ORPHAN_STATES) assert.ok(SHUTDOWN_STATES.has(s), s);
    assert.deepEqual([...SHUTDOWN_STATES].filter((s) => !ORPHAN_STATES.has(s)), ["CLOSE_WAIT"]);
  });
});
