import { getCurrentActiveSpan, type LiveSpan } from "@tracewright/core";
import { methodPatches, runSafely } from "@tracewright/core/instrumentation";
import { COMPONENTS, type ComponentSpec, type MethodSpec, POSTPROCESSOR } from "./components.js";
import { isAsyncIterable, observeStream } from "./stream.js";
import type { CallSettings, Tracing } from "./types.js";

type Obj = Record<string, unknown>;
type AnyMethod = (this: Obj, ...args: unknown[]) => unknown;

/** LlamaIndex's wrapped methods, recognised by every copy of this package in the process. */
const patches = methodPatches("llamaindex");
/** Marks our accessors for constructor-assigned methods, so that a class gets one (also across copies). */
const ACCESSOR = Symbol.for("tracewright.llamaindex.accessor");
/** Accessors installed by this copy (they stay after `disable`, passing calls through). */
let accessors = 0;
/**
 * The object each of our spans traces. A call on that same object inside a span of the same type
 * is an implementation detail (`getTextEmbeddingsBatch` calling `getTextEmbeddings`) and is not
 * traced again; `complete` calling `chat` (LLM, then CHAT_MODEL) is.
 */
const spanOwners = new WeakMap<LiveSpan, object>();

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

function record(span: LiveSpan, spec: MethodSpec, self: Obj, args: unknown[], result: unknown, settings: CallSettings) {
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

function traceCall(
  tracing: Tracing,
  spec: MethodSpec,
  settings: CallSettings,
  self: Obj,
  args: unknown[],
  call: () => unknown,
) {
  return tracing.instrumentCall(
    { name: spanName(spec, self, args), spanType: spec.spanType, inputs: safeInputs(spec, self, args) },
    (span) => {
      if (span) {
        spanOwners.set(span, self);
        runSafely("recording a LlamaIndex span's attributes", () => {
          spec.start?.(span, self, args, settings);
          if (settings.extra.suppressNestedSdkSpans && spec.sdkChildTypes) span.suppressChildSpans(spec.sdkChildTypes);
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
function tracedMethod(original: AnyMethod, spec: MethodSpec, tracing: Tracing, owner?: object): AnyMethod {
  const traced = function (this: Obj, ...args: unknown[]): unknown {
    const self = (owner ?? this) as Obj;
    const settings = tracing.active();
    if (settings === null) return original.apply(this, args);
    const active = getCurrentActiveSpan();
    if (active !== null && spanOwners.get(active) === self && active.spanType === spec.spanType) {
      return original.apply(this, args);
    }
    return traceCall(tracing, spec, settings, self, args, () => original.apply(this, args));
  };
  Object.defineProperty(traced, "name", { value: original.name });
  return traced;
}

/** Wraps a method the prototype itself defines (inherited ones are wrapped where they are defined). */
function patchMethod(proto: Obj, spec: MethodSpec, tracing: Tracing): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(proto, spec.method);
  if (typeof descriptor?.value !== "function" || !descriptor.writable) return false;
  const before = patches.size;
  patches.wrap(proto, spec.method, (original) => tracedMethod(original, spec, tracing));
  return patches.size > before;
}

/**
 * For methods LlamaIndex assigns in its constructors (`this.call = ...`): an accessor on the
 * prototype wraps each assigned function. It stays after `disable` (instances keep their value
 * through it) and then passes calls straight through.
 */
function patchProperty(proto: Obj, spec: MethodSpec, tracing: Tracing): boolean {
  const existing = Object.getOwnPropertyDescriptor(proto, spec.method);
  if (existing?.get && ACCESSOR in existing.get) return false;
  if (existing && !existing.configurable) return false;
  const values = new WeakMap<object, unknown>();
  const get = function (this: object) {
    return values.get(this);
  };
  Object.defineProperty(get, ACCESSOR, { value: true });
  Object.defineProperty(proto, spec.method, {
    configurable: true,
    get,
    set(this: object, value: unknown) {
      values.set(this, typeof value === "function" ? tracedMethod(value as AnyMethod, spec, tracing, this) : value);
    },
  });
  accessors++;
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
function instrumentClass(cls: unknown, tracing: Tracing): number {
  if (typeof cls !== "function") return 0;
  const chain = prototypeChain(cls as { prototype?: unknown });
  if (chain.length === 0) return 0;
  let count = 0;
  const component = COMPONENTS.find((c) => chain.some((link) => matches(c.base, link.name)));
  if (component) {
    for (const spec of component.methods) {
      for (const { proto } of chain) if (patchMethod(proto, spec, tracing)) count++;
    }
    const home = chain.find((link) => matches(component.base, link.name))?.proto;
    for (const spec of component.properties ?? []) if (home && patchProperty(home, spec, tracing)) count++;
  } else if (typeof chain[0]?.proto.postprocessNodes === "function") {
    for (const { proto } of chain) if (patchMethod(proto, POSTPROCESSOR, tracing)) count++;
  }
  return count;
}

/** Patches every traced class a module exports. Returns how many methods were newly patched. */
export function instrumentModule(mod: unknown, tracing: Tracing): number {
  if (mod === null || (typeof mod !== "object" && typeof mod !== "function")) return 0;
  let count = 0;
  for (const key of Object.keys(mod as object)) {
    let value: unknown;
    try {
      value = (mod as Obj)[key];
    } catch {
      continue; // a throwing getter on a module namespace
    }
    count += instrumentClass(value, tracing);
  }
  return count;
}

/** Restores every patched method (accessors stay, passing calls through while autolog is off). */
export function unpatchAll(): void {
  patches.restoreAll();
}

/** Methods and accessors patched so far by this copy (for `instrumentLlamaIndexModule`'s count). */
export const patchedMethodCount = (): number => patches.size + accessors;
