import type { SocketState } from "./socket.js";

/*
 * Two sets of closing TCP states, because two questions are asked about a closing connection:
 *
 * - Is it shutting down? (SHUTDOWN_STATES) Either end has sent its FIN, or it is closed. Once the
 *   listener it belonged to is gone, which end was the server can no longer be told, so the rules that
 *   judge a connection by its port (IRC, backdoor, mining pool) skip such a connection inside this
 *   computer when no program is seen to hold it, and the rule local-traffic calls it expected
 *   (evaluate/rules.ts).
 * - Can it be an orphan? (ORPHAN_STATES) The states the kernel keeps a connection in after its own
 *   program closed it (TIME_WAIT, or an orphan still saying goodbye): no file refers to it any more
 *   (inode 0), so no program holds it and lsof cannot find one; the explanation says so instead of
 *   how to find its owner (isFinished, evaluate/explain.ts).
 *
 * They differ by CLOSE_WAIT: there only the peer has closed; this end's program has not, and still holds
 * the socket (when it closes it, the socket moves on to LAST_ACK). A CLOSE_WAIT connection is shutting
 * down, but it is never an orphan: a missing owner is one portwatch could not see, not one that is gone.
 */

/** Either end has begun closing, or the connection is closed. */
export const SHUTDOWN_STATES: ReadonlySet<SocketState> = new Set<SocketState>([
  "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "CLOSING",
]);

/** States a connection can still be in after its own program closed it: SHUTDOWN_STATES without CLOSE_WAIT. */
export const ORPHAN_STATES: ReadonlySet<SocketState> = new Set([...SHUTDOWN_STATES].filter((state) => state !== "CLOSE_WAIT"));
