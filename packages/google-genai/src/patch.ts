/**
 * The patch. `Models` assigns `generateContent`, `generateContentStream` and `embedContent` to
 * each instance in its constructor, so there is no prototype method to wrap: an accessor on
 * `Models.prototype` catches that assignment and stores a traced wrapper as the instance's own
 * property instead (every client created while autolog is on). `Chat.prototype.sendMessage` and
 * `sendMessageStream` are ordinary prototype methods, wrapped in place. Each wrapper takes the
 * same arguments and `this` and returns the very same promise, which resolves to the very same
 * response or generator.
 */
import { getCurrentActiveSpan, type LiveSpan } from "@tracewright/core";
import { methodPatches, runSafely } from "@tracewright/core/instrumentation";
import { openClaim, takeClaim } from "./chat-claims.js";
import { ENDPOINTS, providerOf, recordResponse, startAttributes } from "./convert.js";
import { isAsyncGenerator, observeStream } from "./stream.js";
import type {
  CallSettings,
  ChatLike,
  Endpoint,
  GoogleGenAIClientLike,
  GoogleGenAIModule,
  ModelsMethod,
  Tracing,
} from "./types.js";

/** The wrapped Chat methods, shared by every copy of this package in the process. */
export const patches = methodPatches("google-genai");

/** Marks our wrappers (the original under it) and our accessors on `Models.prototype`. */
const ORIGINAL = Symbol.for("tracewright.google-genai.original");
const TRAP = Symbol.for("tracewright.google-genai.trap");

const MODELS_ENDPOINTS = [ENDPOINTS.generate, ENDPOINTS.generateStream, ENDPOINTS.embed];
const CHAT_ENDPOINTS = [ENDPOINTS.chat, ENDPOINTS.chatStream];

type AnyFn = ((this: unknown, ...args: unknown[]) => unknown) & { [ORIGINAL]?: AnyFn };

/** Records a resolved result: a response ends the span, a generator keeps it open until read. */
function recordResult(
  span: LiveSpan,
  endpoint: Endpoint,
  request: () => unknown,
  result: unknown,
  settings: CallSettings,
): "keep-open" | undefined {
  if (endpoint.streams && isAsyncGenerator(result)) {
    observeStream(span, result, { endpoint, request, settings });
    return "keep-open";
  }
  runSafely("recording a @google/genai response", () => recordResponse(span, endpoint, request(), result, settings));
  return undefined;
}

/** The HTTP status of the SDK's `ApiError` (the error itself is recorded and rethrown by the kit, unchanged). */
function recordStatus(span: LiveSpan, error: unknown): void {
  runSafely("recording an HTTP status", () => {
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === "number") span.setAttribute("http.response.status_code", status);
  });
}

/** The span's start attributes; none when reading the request fails (an exotic object is no reason to break the call). */
function safeStartAttributes(
  endpoint: Endpoint,
  model: unknown,
  config: unknown,
  apiClient: unknown,
): Record<string, unknown> {
  let attributes: Record<string, unknown> = {};
  runSafely("reading a @google/genai request", () => {
    attributes = startAttributes(endpoint, model, config, providerOf(apiClient));
  });
  return attributes;
}

/** A traced Models method: one span per call, unless a chat span owns the call. */
function tracedModelsMethod(original: ModelsMethod, endpoint: Endpoint, tracing: Tracing): ModelsMethod {
  const traced = function (this: unknown, params?: unknown) {
    const settings = tracing.active();
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments the SDK received
    const args = arguments as never;
    if (settings === null || takeClaim(getCurrentActiveSpan({ contextOnly: true }), params)) {
      return original.apply(this, args);
    }
    const p = (params ?? {}) as { model?: unknown; config?: unknown };
    return tracing.instrumentCall(
      {
        name: endpoint.spanName,
        spanType: endpoint.spanType,
        inputs: params,
        attributes: safeStartAttributes(
          endpoint,
          p.model,
          p.config,
          (this as { apiClient?: unknown } | null)?.apiClient,
        ),
      },
      () => original.apply(this, args),
      {
        onResult: (span, result) => recordResult(span, endpoint, () => params, result, settings),
        onError: recordStatus,
      },
    );
  };
  Object.defineProperty(traced, ORIGINAL, { value: original });
  Object.defineProperty(traced, "name", { value: endpoint.method });
  return traced;
}

/** A traced Chat method: one CHAT_MODEL span that owns the model call the chat makes. */
function tracedChatMethod(original: AnyFn, endpoint: Endpoint, tracing: Tracing): AnyFn {
  return function (this: unknown, params?: unknown) {
    const settings = tracing.active();
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments the SDK received
    const args = arguments as never;
    if (settings === null) return original.apply(this, args);
    const chat = (this ?? {}) as ChatLike;
    let claim: { request: unknown } | null = null;
    return tracing.instrumentCall(
      {
        name: endpoint.spanName,
        spanType: endpoint.spanType,
        inputs: params,
        attributes: safeStartAttributes(
          endpoint,
          chat.model,
          (params as { config?: unknown } | null)?.config ?? chat.config,
          chat.apiClient,
        ),
      },
      (span) => {
        if (span) claim = openClaim(span);
        return original.apply(this, args);
      },
      {
        onResult: (span, result) => recordResult(span, endpoint, () => claim?.request, result, settings),
        onError: recordStatus,
      },
    );
  };
}

/** The accessors this copy installed on a `Models.prototype`, to remove on disable. */
const traps: Array<{ proto: object; name: string }> = [];

/**
 * Installs, for each Models method, an accessor on `Models.prototype` whose setter (run by the
 * constructor's `this.generateContent = …`) stores a traced wrapper as the instance's own data
 * property, exactly as the SDK would have stored the original (writable, enumerable, configurable).
 */
function trapModelsConstructor(proto: object, tracing: Tracing): void {
  for (const endpoint of MODELS_ENDPOINTS) {
    const name = endpoint.method;
    const existing = Object.getOwnPropertyDescriptor(proto, name);
    if (existing?.set && (existing.set as { [TRAP]?: boolean })[TRAP]) continue; // another copy of us trapped it
    if (typeof existing?.value === "function") {
      // a version that defines the method on the prototype: wrap it there
      patches.wrap(proto, name, (original) => tracedModelsMethod(original as ModelsMethod, endpoint, tracing));
      continue;
    }
    if (existing !== undefined) continue; // an accessor of someone else's: leave it alone
    const set = function (this: object, value: unknown) {
      const wrapped =
        typeof value === "function" ? tracedModelsMethod(value as ModelsMethod, endpoint, tracing) : value;
      Object.defineProperty(this, name, { value: wrapped, writable: true, enumerable: true, configurable: true });
    };
    Object.defineProperty(set, TRAP, { value: true });
    Object.defineProperty(proto, name, { get: () => undefined, set, configurable: true, enumerable: false });
    traps.push({ proto, name });
  }
}

/** The namespace holding `Models` and `Chat` in whatever `require` / `import` returned. */
function findNamespace(mod: unknown): GoogleGenAIModule | null {
  const m = mod as GoogleGenAIModule | null;
  for (const candidate of [m, m?.default]) {
    if (typeof candidate?.Models === "function" && typeof candidate?.Chat === "function") return candidate;
  }
  return null;
}

/**
 * Patches one loaded copy of @google/genai (its CommonJS and ESM builds are separate copies).
 * Idempotent. False when the module does not look like @google/genai.
 */
export function patchGoogleGenAIModule(mod: unknown, tracing: Tracing): boolean {
  const ns = findNamespace(mod);
  if (!ns?.Models?.prototype || !ns.Chat?.prototype) return false;
  trapModelsConstructor(ns.Models.prototype, tracing);
  for (const endpoint of CHAT_ENDPOINTS) {
    patches.wrap(ns.Chat.prototype, endpoint.method, (original) => tracedChatMethod(original, endpoint, tracing));
  }
  return modelsAreTraced(ns.Models as unknown as new (apiClient?: unknown) => Record<string, unknown>);
}

/**
 * True when a Models instance made now gets traced methods. A version that defined them with
 * `Object.defineProperty` (class fields) would bypass the accessor: false then, so the kit warns
 * instead of tracing nothing silently. The constructor only stores its argument and the methods;
 * when it cannot be run without a real API client, the check is skipped.
 */
function modelsAreTraced(Models: new (apiClient?: unknown) => Record<string, unknown>): boolean {
  let probe: Record<string, unknown>;
  try {
    probe = new Models(undefined);
  } catch {
    return true;
  }
  return MODELS_ENDPOINTS.every((e) => {
    const method = probe[e.method] as AnyFn | undefined;
    return typeof method !== "function" || Object.hasOwn(method, ORIGINAL);
  });
}

/** Removes this copy's accessors; instances created meanwhile keep a wrapper that runs untraced while off. */
export function restoreAll(): void {
  for (const { proto, name } of traps.splice(0)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d?.set && (d.set as { [TRAP]?: boolean })[TRAP]) delete (proto as Record<string, unknown>)[name];
  }
  patches.restoreAll();
}

/** Wraps (again) the own Models methods of one client instance, unwrapping autolog's wrapper first. */
function wrapOwnModelsMethods(models: Record<string, unknown>, tracing: Tracing): void {
  for (const endpoint of MODELS_ENDPOINTS) {
    const current = models[endpoint.method] as AnyFn | undefined;
    if (typeof current !== "function") continue;
    const original = (current[ORIGINAL] ?? current) as ModelsMethod;
    Object.defineProperty(models, endpoint.method, {
      value: tracedModelsMethod(original, endpoint, tracing),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

/**
 * Traces one client instance with settings of its own: its Models methods, and the chats its
 * `chats.create` makes from now on (their own sendMessage / sendMessageStream wrap the unpatched
 * prototype methods, so a chat of a traced client that is also autologged gets one span per call).
 */
export function patchClient(client: GoogleGenAIClientLike, tracing: Tracing): void {
  if (client.models) wrapOwnModelsMethods(client.models, tracing);
  const chats = client.chats;
  const create = chats?.create;
  if (!chats || typeof create !== "function") return;
  const originalCreate = ((create as AnyFn)[ORIGINAL] ?? create) as AnyFn;
  const tracedCreate = function (this: unknown, ...args: unknown[]) {
    const chat = originalCreate.apply(this, args) as Record<string, unknown>;
    runSafely("tracing a chat session", () => {
      for (const endpoint of CHAT_ENDPOINTS) {
        const method = chat[endpoint.method] as AnyFn | undefined;
        if (typeof method !== "function") continue;
        const original = (method[ORIGINAL] ?? method) as AnyFn;
        const wrapped = tracedChatMethod(original, endpoint, tracing);
        Object.defineProperty(chat, endpoint.method, { value: wrapped, writable: true, configurable: true });
      }
    });
    return chat;
  };
  Object.defineProperty(tracedCreate, ORIGINAL, { value: originalCreate });
  Object.defineProperty(chats, "create", { value: tracedCreate, writable: true, configurable: true });
}
