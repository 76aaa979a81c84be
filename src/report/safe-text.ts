// What a terminal or a page may act on or draw unseen, in text portwatch did not write (process names,
// paths, host names, lines of a capture):
// - C0 controls, DEL and C1 controls: ESC, CSI 0x9b, BEL, backspace, newline... (shown as \xNN);
// - invisible formatting characters (Unicode's Cf: the bidi embeddings, overrides and isolates
//   U+202A–202E and U+2066–2069, the marks U+200E, U+200F and U+061C, zero-width spaces and joiners,
//   U+FEFF, the tag characters...), the line and paragraph separators U+2028 and U+2029, and halves of
//   a surrogate pair standing alone (shown as \uNNNN, or \u{NNNNN} beyond U+FFFF).
// A process named "\u202edhss" would otherwise read "sshd", and a path could turn portwatch's own
// sentence around it backwards.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** One unsafe character as visible text: \x1b, \u202e, \u{e0041}. */
function shown(c: string): string {
  const code = c.codePointAt(0) as number;
  if (code <= 0x9f) return `\\x${code.toString(16).padStart(2, "0")}`;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * The one escaping of text from the host or a capture before it reaches a terminal or a page: control
 * characters become \xNN and invisible formatting characters (bidi overrides, zero-width marks) \uNNNN,
 * so a hostile process name can neither drive the terminal nor disguise itself or the text around it.
 */
export function safeText(text: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text) ? text.replace(UNSAFE, shown) : text;
}

const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;
const BEYOND_ASCII = /[^\u0000-\u007e]/;

/** A character as JSON escapes: \u009b, or a surrogate pair \udb40\udc41. Still the same string once parsed. */
function jsonEscape(c: string): string {
  let out = "";
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

/**
 * JSON.stringify escapes C0 controls (and lone surrogates) but not DEL, C1 (0x9b is CSI on some terminals)
 * or the invisible formatting characters safeText shows: escape those too, so JSON read in a terminal or a
 * page cannot be turned around either. Still valid JSON, with the same values once parsed.
 */
export function jsonSafe(json: string): string {
  // Every character JSON_UNSAFE names is beyond ASCII: most texts are ASCII, and this simple test is the
  // cheaper one (the explanation of each of 200,000 sockets passes here).
  if (!BEYOND_ASCII.test(json)) return json;
  JSON_UNSAFE.lastIndex = 0;
  return JSON_UNSAFE.test(json) ? json.replace(JSON_UNSAFE, jsonEscape) : json;
}
