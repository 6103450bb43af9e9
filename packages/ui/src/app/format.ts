/** Formatting shared by the views. */

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms === 0) return "<1 ms"; // trace durations are whole milliseconds
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDelta(value: number | null, unit: (n: number) => string): string {
  if (value === null) return "—";
  if (value === 0) return "±0";
  return `${value > 0 ? "+" : "−"}${unit(Math.abs(value))}`;
}

/** The colour of a span type's bars and badges. */
export function spanTypeColor(type: string): string {
  switch (type) {
    case "CHAT_MODEL":
    case "LLM":
      return "#7c3aed";
    case "AGENT":
      return "#db2777";
    case "TOOL":
      return "#ea580c";
    case "RETRIEVER":
      return "#0891b2";
    case "EMBEDDING":
      return "#0d9488";
    case "RERANKER":
      return "#2563eb";
    case "CHAIN":
      return "#4f46e5";
    case "PARSER":
      return "#65a30d";
    default:
      return "#64748b";
  }
}
