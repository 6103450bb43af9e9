import { useState } from "preact/hooks";

const LONG_STRING = 400;

function Value({ value, depth, name }: { value: unknown; depth: number; name?: string | undefined }) {
  const [open, setOpen] = useState(depth < 2);
  const [full, setFull] = useState(false);
  const label = name === undefined ? null : <span class="json-key">{name}: </span>;
  if (value === null || typeof value !== "object") {
    if (typeof value === "string") {
      const cut = !full && value.length > LONG_STRING;
      return (
        <div class="json-line">
          {label}
          <span class="json-string">"{cut ? value.slice(0, LONG_STRING) : value}"</span>
          {cut && (
            <button type="button" class="link" onClick={() => setFull(true)}>
              … {value.length - LONG_STRING} more
            </button>
          )}
        </div>
      );
    }
    return (
      <div class="json-line">
        {label}
        <span class={`json-${value === null ? "null" : typeof value}`}>{String(value)}</span>
      </div>
    );
  }
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  const brackets = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return (
    <div class="json-node">
      <button type="button" class="json-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? "▾" : "▸"}
      </button>
      {label}
      <span class="json-brace">{brackets[0]}</span>
      {!open && (
        <span class="json-summary">
          {" "}
          {entries.length} {Array.isArray(value) ? "items" : "keys"} {brackets[1]}
        </span>
      )}
      {open && (
        <div class="json-children">
          {entries.map(([k, v]) => (
            <Value key={k} value={v} depth={depth + 1} name={Array.isArray(value) ? undefined : k} />
          ))}
        </div>
      )}
      {open && <span class="json-brace">{brackets[1]}</span>}
    </div>
  );
}

/** A JSON value as a tree whose objects and arrays collapse (open two levels deep at first). */
export function JsonView({ value, testId }: { value: unknown; testId?: string | undefined }) {
  if (value === undefined) return <div class="muted">—</div>;
  return (
    <div class="json" data-testid={testId}>
      <Value value={value} depth={0} />
    </div>
  );
}
