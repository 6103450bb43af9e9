/**
 * Process-wide state shared by every copy of `@tracewright/core` loaded in one process.
 *
 * An app can load core twice: its ESM and CommonJS builds (an ESM `--import` hook beside a
 * CommonJS `require`), or two installs of the same version. Each copy has its own module
 * variables, so without this, spans of one copy would not nest under spans of the other and both
 * would write the same trace. Like `@opentelemetry/api`, the state lives on `globalThis` under a
 * versioned `Symbol.for` key: the first copy creates each slot, later copies reuse it. Bump the
 * version when a slot's shape changes incompatibly, so that two incompatible copies keep apart.
 */
const STATE_KEY = Symbol.for("tracewright.core.process-state.v2");

type Slots = Record<string, unknown>;

function slots(): Slots {
  const holder = globalThis as { [STATE_KEY]?: Slots };
  let found = holder[STATE_KEY];
  if (found === undefined) {
    found = Object.create(null) as Slots;
    Object.defineProperty(holder, STATE_KEY, { value: found, enumerable: false, configurable: false, writable: false });
  }
  return found;
}

/**
 * The process-wide value of slot `name`, created by `create` the first time any copy of core asks.
 * Call once at module load and keep the returned object: its fields are the shared state.
 */
export function processSingleton<T extends object>(name: string, create: () => T): T {
  const all = slots();
  let value = all[name] as T | undefined;
  if (value === undefined) {
    value = create();
    all[name] = value;
  }
  return value;
}

/**
 * Makes `instanceof Class` recognise instances made by another copy of core: each instance
 * carries `Symbol.for(brand)` through its prototype, and the class's `Symbol.hasInstance` tests
 * for that mark instead of the prototype chain. Subclasses need their own brand.
 */
export function brandClass(cls: abstract new (...args: never[]) => unknown, brand: string): void {
  const mark = Symbol.for(`tracewright.brand.${brand}`);
  Object.defineProperty(cls.prototype, mark, { value: true, enumerable: false });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (value: unknown): boolean =>
      value !== null &&
      (typeof value === "object" || typeof value === "function") &&
      (value as Record<symbol, unknown>)[mark] === true,
  });
}
