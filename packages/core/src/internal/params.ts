/**
 * Parameter names of a function, read once from its source, so traced calls can record
 * inputs by name (`{ question: "..." }`) as MLflow does. Defaults that are JSON literals are
 * kept, so an omitted argument is recorded with the value the function will use.
 */
export interface ParamSpec {
  name: string;
  /** The default, when it is a JSON literal (number, string, boolean, null). */
  defaultValue?: unknown;
  rest?: boolean;
}

/** Splits `src` at top-level commas, skipping strings, template literals, comments and brackets. */
function splitTopLevel(src: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '"' || c === "'" || c === "`") {
      const end = skipString(src, i);
      current += src.slice(i, end);
      i = end - 1;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 1;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      i = end < 0 ? src.length : end;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  if (current.trim() !== "") parts.push(current);
  return parts;
}

function skipString(src: string, start: number): number {
  const quote = src[start];
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === "\\") {
      i++;
      continue;
    }
    if (src[i] === quote) return i + 1;
  }
  return src.length;
}

/** The text between the parameter list's parentheses, or the lone arrow parameter. */
function parameterSource(source: string): string | null {
  let s = source.trim();
  s = s.replace(/^async\s+/, "");
  const arrowSingle = /^([A-Za-z_$][\w$]*)\s*=>/.exec(s);
  if (arrowSingle) return arrowSingle[1] as string;
  const open = s.indexOf("(");
  if (open < 0) return null;
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"' || c === "'" || c === "`") {
      i = skipString(s, i) - 1;
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth === 0) return s.slice(open + 1, i);
    }
  }
  return null;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Reads the parameters of `fn`; null when they cannot be known (native or bound functions). */
export function parseParams(fn: Function): ParamSpec[] | null {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return null;
  }
  if (source.includes("[native code]")) return null;
  const params = parameterSource(source);
  if (params === null) return null;
  const specs: ParamSpec[] = [];
  for (const [index, raw] of splitTopLevel(params).entries()) {
    let text = raw.replace(/\/\*[\s\S]*?\*\//g, "").trim();
    const rest = text.startsWith("...");
    if (rest) text = text.slice(3).trim();
    const eq = findTopLevelEquals(text);
    const name = (eq < 0 ? text : text.slice(0, eq)).trim();
    const spec: ParamSpec = { name: IDENT.test(name) ? name : `arg${index}` };
    if (rest) spec.rest = true;
    if (eq >= 0) {
      try {
        spec.defaultValue = JSON.parse(
          text
            .slice(eq + 1)
            .trim()
            .replace(/^'(.*)'$/s, '"$1"'),
        );
      } catch {
        // a non-literal default (an expression) cannot be evaluated here
      }
    }
    specs.push(spec);
  }
  return specs;
}

function findTopLevelEquals(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "=" && depth === 0 && text[i + 1] !== ">") return i;
  }
  return -1;
}

/**
 * Maps call arguments to `{ name: value }`. Unknown names become `arg0`, `arg1`, ...; a rest
 * parameter collects the remaining arguments; omitted arguments take literal defaults.
 */
export function bindArguments(params: ParamSpec[] | null, args: ArrayLike<unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (params === null) {
    for (let i = 0; i < args.length; i++) out[`arg${i}`] = args[i];
    return out;
  }
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as ParamSpec;
    if (p.rest) {
      out[p.name] = Array.prototype.slice.call(args, i);
      return out;
    }
    const v = i < args.length ? args[i] : undefined;
    if (v !== undefined) out[p.name] = v;
    else if ("defaultValue" in p) out[p.name] = p.defaultValue;
  }
  for (let i = params.length; i < args.length; i++) out[`arg${i}`] = args[i];
  return out;
}
