/** Width of a string as a terminal shows it (ANSI colour codes take no space). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences
const visibleLength = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, "").length;

/** Renders rows as an aligned text table with a header line. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visibleLength(c))))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
