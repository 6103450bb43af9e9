/**
 * Wrapping methods of a library's classes (or of one object) so that they can be put back
 * exactly. Each wrapper carries its original under `Symbol.for("tracewright.<key>.original")`,
 * so another copy of the integration (its ESM and CommonJS builds) sees that a method is wrapped
 * and does not wrap it twice; `restoreAll()` puts each property back as it was (own, or inherited
 * again), so the method is `===` the original.
 */

// biome-ignore lint/suspicious/noExplicitAny: wrappers forward whatever the library's methods take
type AnyMethod = (this: any, ...args: any[]) => any;

/** How {@link MethodPatches.wrap} treats one method. */
export interface WrapOptions {
  /** Put it back on `restoreAll()` (default true). False for opt-ins that outlive `autolog({ disable: true })`. */
  restore?: boolean;
  /**
   * Wrap the unwrapped original when the method found is a wrapper of ours inherited from a
   * prototype (an own property on one object that shadows a patched class), instead of leaving it
   * as is. Default false: a method already wrapped, own or inherited, is left alone.
   */
  inherited?: boolean;
}

/** The methods one integration wrapped, to restore on `autolog({ disable: true })`. */
export interface MethodPatches {
  /**
   * Wraps `target[name]` with `wrapper(original)` unless it is already wrapped under this key.
   * True when the method is wrapped (now or before), false when it is not a function.
   */
  wrap(target: object, name: string, wrapper: (original: AnyMethod) => AnyMethod, options?: WrapOptions): boolean;
  /** Puts back every restorable method this set wrapped, last first; one wrapped again on top of ours by someone else is left alone. */
  restoreAll(): void;
  /** How many methods this set has wrapped and not restored. */
  readonly size: number;
}

interface Made {
  target: object;
  name: string;
  before: PropertyDescriptor | undefined;
  replacement: AnyMethod;
  restore: boolean;
}

/** A set of method patches marked with `Symbol.for("tracewright.<key>.original")`. */
export function methodPatches(key: string): MethodPatches {
  const ORIGINAL = Symbol.for(`tracewright.${key}.original`);
  const made: Made[] = [];
  const isOurs = (fn: unknown): fn is AnyMethod & { [ORIGINAL]: AnyMethod } =>
    typeof fn === "function" && Object.hasOwn(fn, ORIGINAL);
  return {
    wrap(target, name, wrapper, options = {}) {
      let current = (target as Record<string, unknown>)[name];
      if (typeof current !== "function") return false;
      const before = Object.getOwnPropertyDescriptor(target, name);
      if (isOurs(current)) {
        if (!options.inherited || before !== undefined) return true;
        current = current[ORIGINAL];
      }
      const replacement = wrapper(current as AnyMethod);
      Object.defineProperty(replacement, ORIGINAL, { value: current });
      Object.defineProperty(target, name, {
        value: replacement,
        writable: true,
        configurable: true,
        enumerable: before?.enumerable ?? false,
      });
      made.push({ target, name, before, replacement, restore: options.restore ?? true });
      return true;
    },
    restoreAll() {
      for (let i = made.length - 1; i >= 0; i--) {
        const { target, name, before, replacement, restore } = made[i]!;
        if (!restore) continue;
        made.splice(i, 1);
        if ((target as Record<string, unknown>)[name] !== replacement) continue;
        if (before) Object.defineProperty(target, name, before);
        else delete (target as Record<string, unknown>)[name];
      }
    },
    get size() {
      return made.length;
    },
  };
}
