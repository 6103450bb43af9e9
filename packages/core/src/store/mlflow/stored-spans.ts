/**
 * Spans as `GET /api/3.0/mlflow/traces/get` returns them for traces whose spans the server stored
 * from OTLP: protobuf-JSON with snake_case AnyValues, turned into the MLflow span dicts we read.
 */
type AnyValue = {
  string_value?: string;
  bool_value?: boolean;
  int_value?: number | string;
  double_value?: number;
  bytes_value?: string;
  array_value?: { values?: AnyValue[] };
  kvlist_value?: { values?: Array<{ key: string; value: AnyValue }> };
};

/** An OTLP AnyValue (protobuf-JSON, snake_case) as a plain value. */
export function fromAnyValue(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if (v.string_value !== undefined) return v.string_value;
  if (v.bool_value !== undefined) return v.bool_value;
  if (v.int_value !== undefined) return Number(v.int_value);
  if (v.double_value !== undefined) return v.double_value;
  if (v.bytes_value !== undefined) return v.bytes_value;
  if (v.array_value) return (v.array_value.values ?? []).map(fromAnyValue);
  if (v.kvlist_value)
    return Object.fromEntries((v.kvlist_value.values ?? []).map((kv) => [kv.key, fromAnyValue(kv.value)]));
  return null;
}

/** One stored span as an MLflow span dict (attribute values JSON-encoded). */
export function storedSpanToDict(span: Record<string, unknown>): Record<string, unknown> {
  const attributes: Record<string, string> = {};
  for (const a of (span.attributes ?? []) as Array<{ key: string; value: AnyValue }>) {
    attributes[a.key] = JSON.stringify(fromAnyValue(a.value));
  }
  const events = ((span.events ?? []) as Array<Record<string, unknown>>).map((e) => ({
    name: e.name,
    time_unix_nano: Number(e.time_unix_nano ?? 0),
    attributes: Object.fromEntries(
      ((e.attributes ?? []) as Array<{ key: string; value: AnyValue }>).map((a) => [a.key, fromAnyValue(a.value)]),
    ),
  }));
  const status = (span.status ?? {}) as { code?: string; message?: string };
  return {
    trace_id: span.trace_id,
    span_id: span.span_id,
    parent_span_id: span.parent_span_id || null,
    name: span.name,
    start_time_unix_nano: Number(span.start_time_unix_nano ?? 0),
    end_time_unix_nano: Number(span.end_time_unix_nano ?? 0),
    events,
    status: { code: status.code ?? "STATUS_CODE_UNSET", message: status.message ?? "" },
    attributes,
  };
}
