// A URL as portwatch prints it in messages, logs and status lines: without the secrets a webhook URL may
// carry (https://user:password@host/path?token=...). One function for every such line.

const HIDDEN = "***";

/**
 * `text` (a URL, or what was given as one) with the user name and password replaced by "***", and the
 * value of every query parameter and the fragment too: https://u:p@example.org/a?token=s&x=1#f reads
 * https://***:***@example.org/a?token=***&x=***#***. Text that is not a URL is redacted the same way by
 * its shape (anything between "//" and "@", anything after "=" up to "&" or "#").
 */
export function redactUrl(text: string): string {
  let url: URL;
  try { url = new URL(text); } catch { return redactLoosely(text); }
  if (url.username !== "") url.username = HIDDEN;
  if (url.password !== "") url.password = HIDDEN;
  const query = url.search.slice(1);
  const hash = url.hash === "" ? "" : `#${HIDDEN}`;
  url.hash = "";
  url.search = "";
  const kept = query === "" ? "" : `?${query.split("&").map((pair) => { const eq = pair.indexOf("="); return eq < 0 ? pair : `${pair.slice(0, eq)}=${HIDDEN}`; }).join("&")}`;
  return `${url.href}${kept}${hash}`;
}

/** The redaction of redactUrl by shape only, for text that is not a URL. */
function redactLoosely(text: string): string {
  return text
    .replace(/\/\/[^/?#\s]*@/g, `//${HIDDEN}@`)
    .replace(/([?&][^=&#\s]*=)[^&#\s]*/g, `$1${HIDDEN}`)
    .replace(/#\S*/g, `#${HIDDEN}`);
}

/** `message` with every occurrence of `url` replaced by its redacted form (an error that quotes the URL). */
export function redactUrlIn(message: string, url: string): string {
  return url === "" ? message : message.split(url).join(redactUrl(url));
}
