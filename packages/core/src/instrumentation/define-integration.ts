import { join, sep } from "node:path";
import { Hook as ImportHook } from "import-in-the-middle";
import { Hook as RequireHook } from "require-in-the-middle";
import { satisfies } from "semver";
import type { LiveSpan } from "../entities/live-span.js";
import { processSingleton } from "../internal/process-state.js";
import { type InstrumentHooks, instrumentCall, openSpan, type SpanOptions } from "../tracing/instrument.js";
import { isTracingEnabled } from "../tracing/state.js";
import { NOOP_SPAN } from "../tracing/trace-registry.js";
import { createIntegrationLog, type IntegrationLog } from "./integration-log.js";
import {
  appDirs,
  commonJsModuleName,
  loadedCommonJsCopies,
  packageDirFrom,
  packageVersion,
  resolveEsm,
  splitSpecifier,
  subpathSpecifierOfFile,
} from "./module-copies.js";
import { type AutologOptions, type CommonSettings, commonSettings } from "./options.js";

/** A module an integration hooks, and the versions it is tested with. */
export interface ModuleTarget {
  /** A package name (`openai`) or one of its subpaths (`llamaindex/tools`). */
  name: string;
  /** The versions the integration is tested with, as a semver range (`>=6 <8`). */
  versions: string;
}

/** Which copy of a module {@link IntegrationDefinition.patch} is given. */
export interface PatchContext {
  /** The specifier from {@link IntegrationDefinition.modules}. */
  module: string;
  /** The copy's package version, when known. */
  version: string | null;
  /** How it was found, for messages: `require('openai')`, `import('file:///…')`, `explicit`. */
  where: string;
}

/**
 * Declares an integration once: its name, the modules and versions it hooks, how to patch one
 * loaded copy and how to undo every patch. {@link defineIntegration} turns it into the uniform
 * `autolog()` every Tracewright integration offers.
 */
export interface IntegrationDefinition<O extends AutologOptions, S> {
  /** Short name, used in messages and as the key of its process-wide state: `openai`. */
  name: string;
  /** The modules to find and patch, wherever and whenever the app loads them. Empty for none. */
  modules: readonly ModuleTarget[];
  /** The library-specific settings of an `autolog(options)` call (its extra options). */
  settings?: (options: O) => S;
  /**
   * Patches one loaded copy of a module (idempotent: mark what you patched with `Symbol.for`,
   * so that another copy of your integration sees it too). Return false when the module does not
   * look as expected: the kit warns once instead of tracing nothing silently.
   */
  patch?: (moduleExports: unknown, context: PatchContext) => boolean | undefined;
  /** Undoes every patch this copy of the integration made (`autolog({ disable: true })`). */
  unpatch?: () => void;
  /**
   * For integrations that register with the library (a callback handler, a trace processor)
   * instead of patching modules: called on every enabling `autolog()`, after the settings changed.
   */
  enable?: () => void;
  /** Undoes {@link IntegrationDefinition.enable}. */
  disable?: () => void;
}

/** The settings in force while an integration is on. */
export interface ActiveSettings<S> extends CommonSettings {
  /** The library-specific settings. */
  extra: S;
}

/** What `autolog()` resolves to, the same for every integration. */
export interface AutologStatus {
  /** The integration's name. */
  integration: string;
  /** True while the integration records. */
  enabled: boolean;
  /** The loaded copies patched by this call (`openai@7.57.0 (require('openai'))`). */
  patched: string[];
}

/** What {@link defineIntegration} returns: the integration's front door and its helpers. */
export interface Integration<O extends AutologOptions, S> {
  readonly name: string;
  /**
   * Turns the integration on with `options` (again: the latest options win), or off with
   * `{ disable: true }`. Idempotent. The promise resolves once already imported ESM copies are
   * patched too; patching CommonJS copies and installing the module hooks happen before it returns.
   */
  autolog(options?: O): Promise<AutologStatus>;
  /** The settings in force, or null while the integration is off or records nothing. */
  active(): ActiveSettings<S> | null;
  /** Patches one copy of a module explicitly (a nested copy module hooks cannot see). Returns false if it does not look right. */
  patchModule(moduleExports: unknown, module?: string): boolean;
  /** {@link instrumentCall} with the integration's redactor; runs `call` untraced while the integration is off. */
  instrumentCall<T>(options: SpanOptions, call: (span: LiveSpan | null) => T, hooks?: InstrumentHooks<T>): T;
  /** Starts a span with the integration's redactor (a non-recording span while it is off). */
  startSpan(options: SpanOptions): LiveSpan;
  /** The integration's logger (`[tracewright/<name>] …`), quiet with `silent`. */
  readonly log: IntegrationLog;
}

interface IntegrationState {
  settings: ActiveSettings<unknown> | null;
  hooksInstalled: boolean;
  /** Every copy of the integration that patched something registers its undo here. */
  undo: Set<() => void>;
}

/**
 * Builds an integration's uniform `autolog()` from its definition: common options with one meaning
 * everywhere, CommonJS and ESM copies found and patched (already loaded, or loaded later through
 * module hooks), a warning once when a copy's version is outside the tested range, one logger, and
 * state shared by every copy of the integration in the process.
 *
 * @example
 * ```ts
 * export const integration = defineIntegration({
 *   name: "acme",
 *   modules: [{ name: "acme-llm", versions: ">=2 <3" }],
 *   patch: (mod) => patchAcme(mod, integration),
 *   unpatch: unpatchAcme,
 * });
 * export const autolog = integration.autolog;
 * ```
 */
export function defineIntegration<O extends AutologOptions = AutologOptions, S = undefined>(
  definition: IntegrationDefinition<O, S>,
): Integration<O, S> {
  const state = processSingleton<IntegrationState>(`integration:${definition.name}:v1`, () => ({
    settings: null,
    hooksInstalled: false,
    undo: new Set(),
  }));
  const log = createIntegrationLog(definition.name, () => state.settings?.silent ?? false);
  const undo = () => {
    definition.unpatch?.();
  };

  const patchCopy = (moduleExports: unknown, module: string, where: string, version: string | null): boolean => {
    const target = definition.modules.find((m) => m.name === module);
    if (target && version && !satisfies(version, target.versions, { includePrerelease: true })) {
      log.warnOnce(
        `version:${splitSpecifier(module).name}@${version}`,
        `${splitSpecifier(module).name} ${version} is outside the versions @tracewright/${definition.name} is tested with (${target.versions}); tracing it anyway`,
      );
    }
    try {
      const ok = definition.patch?.(moduleExports, { module, version, where }) ?? true;
      state.undo.add(undo);
      if (ok === false)
        log.warnOnce(`shape:${where}`, `${where}: ${module} does not look as expected; it is not traced`);
      return ok !== false;
    } catch (e) {
      log.warn(`${where}: patching ${module} failed`, e);
      return false;
    }
  };

  const installHooks = () => {
    if (state.hooksInstalled || definition.modules.length === 0) return;
    state.hooksInstalled = true;
    const names = [...new Set(definition.modules.map((m) => splitSpecifier(m.name).name))];
    const specifiers = new Set(definition.modules.map((m) => m.name));
    // future require(), from any copy; `internals` lets subpath modules through, named by their
    // file inside the package when the package requires them by a relative path of its own
    const internalNames = commonJsModuleNames(definition.modules);
    const hooked = [...new Set([...names, ...specifiers, ...internalNames.keys()])];
    new RequireHook(hooked, { internals: true }, (exports, name, basedir) => {
      if (!state.settings) return exports;
      const specifier = specifiers.has(name)
        ? name
        : (internalNames.get(name) ?? requiredSubpath(specifiers, name, basedir));
      if (specifier !== null) patchCopy(exports, specifier, `require('${specifier}')`, versionOf(basedir));
      return exports;
    });
    // future import, when import-in-the-middle's loader is registered (`--import …/register`); an
    // ESM subpath module the package imports by a relative path is patched by patchLoadedCopies,
    // which imports the very file (one module per URL) when autolog runs
    new ImportHook([...specifiers], (exported, name, basedir) => {
      if (state.settings) patchCopy(exported, name, `import '${name}'`, versionOf(basedir ?? undefined));
    });
  };

  const patchLoadedCopies = async (): Promise<string[]> => {
    const patched: string[] = [];
    for (const target of definition.modules) {
      for (const copy of loadedCommonJsCopies(target.name)) {
        const version = packageVersion(copy.packageDir);
        if (patchCopy(copy.exports, target.name, `loaded CommonJS ${target.name}`, version))
          patched.push(`${target.name}@${version ?? "?"} (CommonJS)`);
      }
    }
    const urls = new Map<string, { module: string; packageDir: string }>();
    for (const dir of appDirs()) {
      for (const target of definition.modules) {
        const found = resolveEsm(target.name, dir);
        if (found) urls.set(found.url, { module: target.name, packageDir: found.packageDir });
      }
    }
    await Promise.all(
      [...urls].map(([url, { module, packageDir }]) =>
        import(url).then(
          (ns: unknown) => {
            const version = packageVersion(packageDir);
            if (patchCopy(ns, module, `import('${module}')`, version))
              patched.push(`${module}@${version ?? "?"} (ESM)`);
          },
          () => undefined, // an optional module that fails to load is not ours to report
        ),
      ),
    );
    return patched;
  };

  const integration: Integration<O, S> = {
    name: definition.name,
    log,
    async autolog(options = {} as O) {
      if (options.disable) {
        state.settings = null;
        for (const u of state.undo) {
          try {
            u();
          } catch (e) {
            log.warn("undoing a patch failed", e);
          }
        }
        state.undo.clear();
        try {
          definition.disable?.();
        } catch (e) {
          log.warn("disabling failed", e);
        }
        return { integration: definition.name, enabled: false, patched: [] };
      }
      const common = commonSettings(options);
      state.settings = { ...common, extra: definition.settings ? definition.settings(options) : undefined };
      try {
        definition.enable?.();
      } catch (e) {
        log.warn("enabling failed", e);
      }
      installHooks();
      const patched = await patchLoadedCopies();
      return { integration: definition.name, enabled: true, patched };
    },
    active() {
      const s = state.settings;
      return s === null || !s.logTraces ? null : (s as ActiveSettings<S>);
    },
    patchModule(moduleExports, module = definition.modules[0]?.name ?? definition.name) {
      return patchCopy(moduleExports, module, "explicit", null);
    },
    instrumentCall(options, call, hooks) {
      const s = integration.active();
      if (s === null || !isTracingEnabled()) return call(null);
      return instrumentCall(s.redactor ? { ...options, redactor: s.redactor } : options, call, hooks);
    },
    startSpan(options) {
      const s = integration.active();
      if (s === null) return NOOP_SPAN;
      return openSpan(s.redactor ? { ...options, redactor: s.redactor } : options) ?? NOOP_SPAN;
    },
  };
  return integration;
}

/**
 * The subpath specifier a file require-in-the-middle names by its path inside a package
 * (`@scope/sdk${sep}dist${sep}cjs${sep}client${sep}index.js`) is the CommonJS entry of, or null.
 */
function requiredSubpath(specifiers: Set<string>, name: string, basedir: string | undefined): string | null {
  if (!basedir) return null;
  const packageName = splitSpecifier(name.split(sep).join("/")).name;
  const inside = name.slice(packageName.length + 1);
  if (!inside) return null;
  return subpathSpecifierOfFile(specifiers, basedir, join(basedir, inside));
}

/** The require-hook names of the subpath modules' CommonJS files, in the copies the app resolves, and which module each is. */
function commonJsModuleNames(modules: readonly ModuleTarget[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const target of modules) {
    const { name, subpath } = splitSpecifier(target.name);
    if (subpath === ".") continue;
    for (const dir of appDirs()) {
      const packageDir = packageDirFrom(name, dir);
      const internal = packageDir === null ? null : commonJsModuleName(target.name, packageDir);
      if (internal !== null) names.set(internal, target.name);
    }
  }
  return names;
}

function versionOf(basedir: string | undefined): string | null {
  return basedir ? packageVersion(basedir) : null;
}
