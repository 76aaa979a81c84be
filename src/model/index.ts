export type { ProcessInfo, SharedHolder } from "./process.js";
export type { Problem } from "./problem.js";
export { formatProblem } from "./problem.js";
export type { Reason, Verdict } from "./verdict.js";
export { VERDICTS } from "./verdict.js";
export type { Direction, Endpoint, Exposure, Family, Proto, Service, Socket, SocketState } from "./socket.js";
export type { Host, Snapshot, SnapshotSource } from "./snapshot.js";
export { SCHEMA_VERSION } from "./snapshot.js";
export { InputError } from "./errors.js";
