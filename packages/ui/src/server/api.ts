import {
  AssessmentSource,
  Feedback,
  InvalidArgumentError,
  InvalidFilterError,
  type TraceStore,
} from "@tracewright/core";
import { HttpError } from "./http-error.js";
import { assessmentView, type TraceSummary, type TraceView, traceSummary, traceView } from "./views.js";

/** The largest page the list endpoint serves; bigger asks are a 400, not a slow query. */
export const MAX_PAGE_SIZE = 500;
/** Feedback bodies above this many bytes are refused (413). */
export const MAX_BODY_BYTES = 16 * 1024;
const MAX_RATIONALE_CHARS = 4000;
const TRACE_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

/** The UI's JSON API over one trace store. Every method validates its input and throws {@link HttpError}. */
export class UiApi {
  constructor(private readonly store: TraceStore) {}

  async experiments(): Promise<{ experiments: Array<{ experimentId: string; name: string; traceCount: number }> }> {
    const all = (await this.store.listExperiments?.()) ?? [];
    return {
      experiments: all.map((e) => ({ experimentId: e.experimentId, name: e.name, traceCount: e.traceCount ?? 0 })),
    };
  }

  async listTraces(query: URLSearchParams): Promise<{ traces: TraceSummary[]; nextPageToken: string | null }> {
    const pageSize = parsePageSize(query.get("pageSize"));
    const experiment = query.get("experiment");
    const experimentIds = experiment ? [await this.experimentId(experiment)] : await this.allExperimentIds();
    const filterString = query.get("filter")?.trim() || undefined;
    const order = query.get("order")?.trim() || undefined;
    const pageToken = query.get("pageToken") || undefined;
    try {
      const page = await this.store.searchTraces({
        experimentIds,
        maxResults: pageSize,
        includeSpans: false, // a listing needs infos only: no span rows read, no span downloads
        ...(filterString ? { filterString } : {}),
        ...(order ? { orderBy: [order] } : {}),
        ...(pageToken ? { pageToken } : {}),
      });
      return { traces: page.traces.map(traceSummary), nextPageToken: page.nextPageToken };
    } catch (e) {
      if (e instanceof InvalidFilterError) throw new HttpError(400, "INVALID_FILTER", e.message);
      if (e instanceof InvalidArgumentError) throw new HttpError(400, "INVALID_ARGUMENT", e.message);
      throw e;
    }
  }

  async trace(traceId: string): Promise<TraceView> {
    return traceView(await this.requireTrace(traceId));
  }

  /** Records a person's thumbs up/down (and comment) as HUMAN feedback on a trace or one of its spans. */
  async addFeedback(traceId: string, body: unknown): Promise<{ assessment: ReturnType<typeof assessmentView> }> {
    const trace = await this.requireTrace(traceId);
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new HttpError(400, "INVALID_BODY", 'Send a JSON object such as {"value": true, "rationale": "..."}.');
    }
    const b = body as Record<string, unknown>;
    if (typeof b.value !== "boolean") {
      throw new HttpError(400, "INVALID_BODY", '"value" must be true (thumbs up) or false (thumbs down).');
    }
    const name = b.name === undefined ? "user_feedback" : b.name;
    if (typeof name !== "string" || name.trim() === "" || name.length > 200) {
      throw new HttpError(400, "INVALID_BODY", '"name" must be a non-empty string of at most 200 characters.');
    }
    const rationale = b.rationale ?? null;
    if (rationale !== null && (typeof rationale !== "string" || rationale.length > MAX_RATIONALE_CHARS)) {
      throw new HttpError(
        400,
        "INVALID_BODY",
        `"rationale" must be a string of at most ${MAX_RATIONALE_CHARS} characters.`,
      );
    }
    const spanId = b.spanId ?? null;
    if (spanId !== null && (typeof spanId !== "string" || !trace.data.spans.some((s) => s.spanId === spanId))) {
      throw new HttpError(400, "UNKNOWN_SPAN", `Trace ${traceId} has no span "${String(spanId)}".`);
    }
    const user = typeof b.user === "string" && b.user.trim() !== "" ? b.user.trim().slice(0, 200) : "tracewright-ui";
    const feedback = new Feedback({
      name: name.trim(),
      value: b.value,
      traceId,
      spanId,
      rationale: rationale === "" ? null : rationale,
      source: new AssessmentSource({ sourceType: "HUMAN", sourceId: user }),
    });
    return { assessment: assessmentView(await this.store.logAssessment(feedback)) };
  }

  private async requireTrace(traceId: string) {
    if (!TRACE_ID.test(traceId))
      throw new HttpError(400, "INVALID_TRACE_ID", `"${traceId.slice(0, 80)}" is not a trace id.`);
    const trace = await this.store.getTrace(traceId);
    if (!trace) throw new HttpError(404, "TRACE_NOT_FOUND", `No trace with id ${traceId}.`);
    return trace;
  }

  private async allExperimentIds(): Promise<string[]> {
    const all = (await this.store.listExperiments?.()) ?? [];
    return all.length > 0 ? all.map((e) => e.experimentId) : ["0"];
  }

  private async experimentId(nameOrId: string): Promise<string> {
    const all = (await this.store.listExperiments?.()) ?? [];
    const found = all.find((e) => e.experimentId === nameOrId || e.name === nameOrId);
    if (!found) throw new HttpError(404, "EXPERIMENT_NOT_FOUND", `No experiment "${nameOrId.slice(0, 80)}".`);
    return found.experimentId;
  }
}

function parsePageSize(raw: string | null): number {
  if (raw === null || raw === "") return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new HttpError(
      400,
      "INVALID_PAGE_SIZE",
      `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got "${raw.slice(0, 40)}".`,
    );
  }
  return n;
}
