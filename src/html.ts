// Small helpers for the self-contained HTML pages (explain.report, monitor.report).

/** Text made safe inside HTML elements and attribute values. @example escapeHtml('<b>') // '&#60;b&#62;' */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
