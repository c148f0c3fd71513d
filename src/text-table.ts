/**
 * The CLI's plain-text tables (load summaries, rejects, profiles, anomalies): columns padded to
 * their widest cell, two spaces apart. Cells come from files, so a value may hold a line end or a
 * tab; `tableCell` shows those escaped, so one row stays one line.
 */

/** `value` with control characters shown as `\n`, `\r`, `\t` or `\xNN`, cut to `max` characters (with `…`). */
export function tableCell(value: string, max = Infinity): string {
  const escaped = value.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}

/**
 * The header and rows, a line each, ending in a newline. `padLast` false leaves the last column
 * as it is and out of the widths (a file path, raw text: long, and nothing follows it).
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], options: { padLast?: boolean } = {}): string {
  const padLast = options.padLast ?? true;
  const last = header.length - 1;
  const widths = header.map((h, i) => (i === last && !padLast ? 0 : Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: readonly string[]): string => {
    const text = cells.map((c, i) => (i === last && !padLast ? c : c.padEnd(widths[i]))).join('  ');
    return padLast ? text.trimEnd() : text;
  };
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
