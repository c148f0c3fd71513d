/**
 * Which sheet `--sheet` means: a sheet whose name is exactly the text; else, for a number, the
 * sheet at that 1-based position in the workbook's tab order; else a name that matches ignoring
 * case (Excel itself treats sheet names case-insensitively). A sheet literally named "2" is
 * therefore chosen by `--sheet 2` over the second sheet. Null when nothing matches.
 */
export function selectSheet(selector: string, names: readonly string[]): string | null {
  if (names.includes(selector)) return selector;
  if (/^[1-9][0-9]*$/.test(selector)) {
    const position = Number(selector);
    if (position <= names.length) return names[position - 1];
  }
  const lower = selector.toLowerCase();
  return names.find((name) => name.toLowerCase() === lower) ?? null;
}
