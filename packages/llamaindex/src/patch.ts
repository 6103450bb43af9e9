import { getCurrentActiveSpan, instrumentCall, type LiveSpan, runSafely } from "@tracewright/core";
import { COMPONENTS, type ComponentSpec, type MethodSpec, POSTPROCESSOR } from "./components.js";
import { currentSettings, type PluginSettings } from "./settings.js";
import { isAsyncIterable, observeStream } from "./stream.js";

type Obj = Record<string, unknown>;
type AnyMethod = (this: Obj, ...args: unknown[]) => unknown;

/** Marks our wrappers, so that a class is never wrapped twice (also across module copies). */
const WRAPPED = Symbol.for("tracewright.llamaindex.wrapped");
/**
 * The object each of our spans traces. A call on that same object inside a span of the same type
 * is an implementation detail (`getTextEmbeddingsBatch` calling `getTextEmbeddings`) and is not
 * traced again; `complete` calling `chat` (LLM, then CHAT_MODEL) is.
 */
const spanOwners = new WeakMap<LiveSpan, object>();
const restores: Array<() => void> = [];

function spanName(spec: MethodSpec, self: Obj, args: unknown[]): string {
  let custom: string | undefined;
  runSafely("naming a LlamaIndex span", () => {
    custom = spec.name?.(self, args);
  });
  const className = (self?.constructor as { name?: string } | undefined)?.name || "LlamaIndex";
  return custom ?? `${className}.${spec.method}`;
}

function safeInputs(spec: MethodSpec, self: Obj, args: unknown[]): unknown {
  try {
    return spec.inputs(args, self);
  } catch {
    return undefined;
  }
}

function record(
  span: LiveSpan,
  spec: MethodSpec,
  self: Obj,
  args: unknown[],
  result: unknown,
  settings: PluginSettings,
) {
  const streams = isAsyncIterable(result) && (spec.streams?.(args) ?? true);
  if (streams) {
    const observed = observeStream(span, result, (s, summary) => {
      if (spec.stream) spec.stream(s, summary, self, args);
      else s.setOutputs(summary.text);
    });
    if (observed) return "keep-open" as const;
  }
  spec.result(span, result, self, args, settings);
  return undefined;
}

function traceCall(spec: MethodSpec, settings: PluginSettings, self: Obj, args: unknown[], call: () => unknown) {
  return instrumentCall(
    { name: spanName(spec, self, args), spanType: spec.spanType, inputs: safeInputs(spec, self, args) },
    (span) => {
      if (span) {
        spanOwners.set(span, self);
        runSafely("recording a LlamaIndex span's attributes", () => {
          spec.start?.(span, self, args, settings);
          if (settings.suppressNestedSdkSpans && spec.sdkChildTypes) span.suppressChildSpans(spec.sdkChildTypes);
        });
      }
      return call();
    },
    { onResult: (span, result) => record(span, spec, self, args, result, settings) },
  );
}

/**
 * `original`, traced as `spec` while autolog is on. `owner` fixes the traced object for functions
 * stored on instances, which LlamaIndex often calls unbound.
 */
function tracedMethod(original: AnyMethod, spec: MethodSpec, owner?: object): AnyMethod {
  const traced = function (this: Obj, ...args: unknown[]): unknown {
    const self = (owner ?? this) as Obj;
    const settings = currentSettings();
    if (!settings?.logTraces) return original.apply(this, args);
    const active = getCurrentActiveSpan();
    if (active !== null && spanOwners.get(active) === self && active.spanType === spec.spanType) {
      return original.apply(this, args);
    }
    return traceCall(spec, settings, self, args, () => original.apply(this, args));
  };
  Object.defineProperty(traced, WRAPPED, { value: original });
  Object.defineProperty(traced, "name", { value: original.name });
  return traced;
}

function patchMethod(proto: Obj, spec: MethodSpec): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(proto, spec.method);
  const original = descriptor?.value as AnyMethod | undefined;
  if (typeof original !== "function" || WRAPPED in original || !descriptor?.writable) return false;
  proto[spec.method] = tracedMethod(original, spec);
  restores.push(() => {
    if ((proto[spec.method] as { [WRAPPED]?: unknown })[WRAPPED] === original) proto[spec.method] = original;
  });
  return true;
}

/**
 * For methods LlamaIndex assigns in its constructors (`this.call = ...`): an accessor on the
 * prototype wraps each assigned function. It stays after `disable` (instances keep their value
 * through it) and then passes calls straight through.
 */
function patchProperty(proto: Obj, spec: MethodSpec): boolean {
  const existing = Object.getOwnPropertyDescriptor(proto, spec.method);
  if (existing?.get && WRAPPED in existing.get) return false;
  if (existing && !existing.configurable) return false;
  const values = new WeakMap<object, unknown>();
  const get = function (this: object) {
    return values.get(this);
  };
  Object.defineProperty(get, WRAPPED, { value: true });
  Object.defineProperty(proto, spec.method, {
    configurable: true,
    get,
    set(this: object, value: unknown) {
      values.set(this, typeof value === "function" ? tracedMethod(value as AnyMethod, spec, this) : value);
    },
  });
  return true;
}

/** The prototypes of a class and its ancestors (most derived first) with their class names. */
function prototypeChain(cls: { prototype?: unknown }): Array<{ proto: Obj; name: string }> {
  const chain: Array<{ proto: Obj; name: string }> = [];
  let proto = cls.prototype as Obj | null | undefined;
  while (proto && proto !== Object.prototype && chain.length < 32) {
    const name = (proto.constructor as { name?: string } | undefined)?.name ?? "";
    chain.push({ proto, name });
    proto = Object.getPrototypeOf(proto) as Obj | null;
  }
  return chain;
}

const matches = (base: ComponentSpec["base"], name: string) =>
  typeof base === "string" ? base === name : base.test(name);

/** Patches the traced methods of one class (and the ancestors that define them). Returns how many. */
export function instrumentClass(cls: unknown): number {
  if (typeof cls !== "function") return 0;
  const chain = prototypeChain(cls as { prototype?: unknown });
  if (chain.length === 0) return 0;
  let count = 0;
  const component = COMPONENTS.find((c) => chain.some((link) => matches(c.base, link.name)));
  if (component) {
    for (const spec of component.methods) {
      for (const { proto } of chain) if (patchMethod(proto, spec)) count++;
    }
    const home = chain.find((link) => matches(component.base, link.name))?.proto;
    for (const spec of component.properties ?? []) if (home && patchProperty(home, spec)) count++;
  } else if (typeof chain[0]?.proto.postprocessNodes === "function") {
    for (const { proto } of chain) if (patchMethod(proto, POSTPROCESSOR)) count++;
  }
  return count;
}

/** Patches every traced class a module exports. Returns how many methods were newly patched. */
export function instrumentModule(mod: unknown): number {
  if (mod === null || (typeof mod !== "object" && typeof mod !== "function")) return 0;
  let count = 0;
  for (const key of Object.keys(mod as object)) {
    let value: unknown;
    try {
      value = (mod as Obj)[key];
    } catch {
      continue; // a throwing getter on a module namespace
    }
    count += instrumentClass(value);
  }
  return count;
}

/** Restores every patched method (accessors stay, passing calls through while autolog is off). */
export function unpatchAll(): void {
  for (const restore of restores.splice(0)) restore();
}
