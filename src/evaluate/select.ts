import type { Proto, Socket } from "../model/socket.js";

/** Which sockets to keep, as netstat's -t/-u/-w/-l select them. */
export interface Selection {
  /** Protocols to keep; empty or absent keeps all. */
  protos?: readonly Proto[];
  /** Keep only listeners. */
  listening?: boolean;
}

/** Keeps the sockets a selection asks for. */
export function selectSockets(sockets: Socket[], selection: Selection): Socket[] {
  const protos = selection.protos && selection.protos.length > 0 ? new Set(selection.protos) : null;
  if (protos === null && !selection.listening) return sockets;
  return sockets.filter((s) => (protos === null || protos.has(s.proto)) && (!selection.listening || s.direction === "listening"));
}
