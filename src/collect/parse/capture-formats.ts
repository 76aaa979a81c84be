/** The capture formats portwatch reads (a module of its own, so the CLI can list them without loading the readers). */
export const CAPTURE_FORMATS = ["netstat", "ss", "lsof", "windows-netstat", "bsd-netstat", "portwatch-json"] as const;
export type CaptureFormat = (typeof CAPTURE_FORMATS)[number];
