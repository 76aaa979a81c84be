/** True for 127.0.0.0/8, ::1 and their v4-mapped form. */
export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}

/** True for the any-address of either family. */
export function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "*";
}

/*
 * An address as portwatch keeps it, from the host or from another tool's output:
 * - an IPv4 address: four numbers from 0 to 255;
 * - an IPv6 address as the kernel or the tool printed it: hex digits, colons and dots (BSD and macOS
 *   netstat cut a long one to its column: "fe80::aede:48ff:");
 * - a host name, from a capture made without -n ("tc-in-f19.google.co", "*"): no white space, no control
 *   or invisible formatting character (safeText's), no colon, and not four numbers (a broken IPv4 address).
 * At most 255 characters. ADDRESS_PATTERN and addressProblem say the same (a test checks it).
 */
const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const NAME_CHAR = "[^\\s:\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}]";
export const ADDRESS_PATTERN = new RegExp(
  `^(?=[^]{1,255}$)(?:${OCTET}(?:\\.${OCTET}){3}|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|(?!\\d+(?:\\.\\d+){3}$)${NAME_CHAR}+)$`, "u");

const UNSAFE_IN_NAME = /[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** Why text is not an address portwatch keeps (see ADDRESS_PATTERN), in words; null when it is one. */
export function addressProblem(text: string): string | null {
  if (ADDRESS_PATTERN.test(text)) return null;
  if (text.length === 0) return "an empty address";
  if (text.length > 255) return "an address longer than 255 characters";
  if (/^\d+(?:\.\d+){3}$/.test(text)) return "not an IPv4 address (each of its four numbers must be from 0 to 255, without leading zeros)";
  if (text.includes(":")) return "not an IPv6 address (only hex digits, colons and dots) nor a host name (no colon)";
  if (UNSAFE_IN_NAME.test(text)) return "not a host name (it holds white space, a control or an invisible formatting character)";
  return "not an address or host name";
}
