import { useState } from "preact/hooks";
import { sendFeedback } from "./api.js";

/** Thumbs up/down with an optional comment, stored as HUMAN feedback on the trace or a span. */
export function FeedbackForm(props: {
  traceId: string;
  spanId: string | null;
  spanName?: string;
  onSaved: () => void;
}) {
  const [value, setValue] = useState<boolean | null>(null);
  const [comment, setComment] = useState("");
  const [state, setState] = useState<{ kind: "idle" | "saving" | "saved" | "error"; message?: string }>({
    kind: "idle",
  });
  const submit = async () => {
    if (value === null) return;
    setState({ kind: "saving" });
    try {
      await sendFeedback(props.traceId, {
        value,
        spanId: props.spanId,
        ...(comment.trim() ? { rationale: comment.trim() } : {}),
      });
      setState({ kind: "saved" });
      setComment("");
      setValue(null);
      props.onSaved();
    } catch (e) {
      setState({ kind: "error", message: e instanceof Error ? e.message : String(e) });
    }
  };
  return (
    <div class="feedback" data-testid="feedback-form">
      <span class="muted">Feedback on {props.spanId ? `span “${props.spanName ?? props.spanId}”` : "this trace"}:</span>
      <button
        type="button"
        aria-pressed={value === true}
        class={value === true ? "thumb on" : "thumb"}
        title="Thumbs up"
        onClick={() => setValue(true)}
      >
        ▲ Good
      </button>
      <button
        type="button"
        aria-pressed={value === false}
        class={value === false ? "thumb on" : "thumb"}
        title="Thumbs down"
        onClick={() => setValue(false)}
      >
        ▼ Bad
      </button>
      <input
        type="text"
        placeholder="Comment (optional)"
        value={comment}
        maxLength={4000}
        onInput={(e) => setComment((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="button" class="primary" disabled={value === null || state.kind === "saving"} onClick={submit}>
        Save feedback
      </button>
      {state.kind === "saved" && (
        <span class="ok-note" role="status">
          Saved
        </span>
      )}
      {state.kind === "error" && (
        <span class="error-note" role="alert">
          {state.message}
        </span>
      )}
    </div>
  );
}
