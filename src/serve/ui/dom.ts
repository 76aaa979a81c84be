// The few DOM helpers of the dashboard. Text from the host goes into the page only as textContent
// (never innerHTML), so a process named "<script>" is shown, not run; control characters are shown as
// \xNN by safeText, as in the terminal.

/** The element with this id; a missing one is a bug of index.html, said plainly. */
export function byId<T extends Element = HTMLElement>(id: string): T {
  const e: Element | null = document.getElementById(id);
  if (e === null) throw new Error(`dashboard: index.html has no #${id}`);
  return e as T;
}

/** A new element with this text (as textContent) and class. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

/** The value of an <input> or <select> by id. */
export function valueOf(id: string): string {
  return byId<HTMLInputElement | HTMLSelectElement>(id).value;
}
