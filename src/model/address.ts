/** True for 127.0.0.0/8, ::1 and their v4-mapped form. */
export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}

/** True for the any-address of either family. */
export function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "*";
}
