// C0 controls, DEL and C1 controls: what a terminal may act on (ESC, CSI 0x9b, BEL, backspace, newline...).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Replaces terminal control characters with visible \xNN escapes, so a hostile process name cannot drive the terminal. */
export function safeText(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

const C1_DEL = /[\u007f-\u009f]/g;

/** JSON.stringify escapes C0 controls but not DEL and C1 (0x9b is CSI on some terminals): escape those too. Still valid JSON. */
export function jsonSafe(json: string): string {
  return json.replace(C1_DEL, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
