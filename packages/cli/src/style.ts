import { styleText } from "node:util";

type Format = Parameters<typeof styleText>[0];

/** Colours only when stdout is a terminal (and NO_COLOR is unset); plain text otherwise. */
export function paint(format: Format, text: string): string {
  return styleText(format, text, { stream: process.stdout });
}

/** `312.4 ms`, `1.25 s`, `—` for unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A state with its colour. */
export function formatState(state: string): string {
  if (state === "OK") return paint("green", state);
  if (state === "ERROR") return paint("red", state);
  return paint("yellow", state);
}

/** `in 150 · out 75 · total 225`, or "" without usage. */
export function formatTokens(usage: Record<string, unknown> | null | undefined): string {
  if (!usage) return "";
  const parts: string[] = [];
  if (typeof usage.input_tokens === "number") parts.push(`in ${usage.input_tokens}`);
  if (typeof usage.output_tokens === "number") parts.push(`out ${usage.output_tokens}`);
  if (typeof usage.total_tokens === "number") parts.push(`total ${usage.total_tokens}`);
  return parts.join(" · ");
}

/** Cuts `text` to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}
