import { RE2JS } from "re2js";

/**
 * Pattern matching for filter operators (RLIKE, LIKE, ILIKE) on a linear-time engine.
 *
 * Filter strings come from people and from web pages (`tracewright ui` answers `/api/traces?filter=`),
 * so a pattern must never be able to stall the process. JavaScript's RegExp backtracks:
 * `^(.+)+X` over 30 characters, or LIKE `%a%a%a%b` over 200, takes seconds to minutes. RE2's
 * automata match in time linear in the input whatever the pattern, and RE2 syntax has no
 * backreferences or lookaround (which need backtracking); MLflow's SQL backends treat RLIKE as
 * a POSIX/ICU-style regex that RE2 is close to. `re2js` is the pure-JavaScript port of RE2 (the
 * native `re2` addon needs a download or a compiler at install time).
 */

/** A compiled pattern: `test` searches for a match anywhere, `testExact` matches the whole input. */
export interface LinearRegex {
  test(input: string): boolean;
  testExact(input: string): boolean;
}

/** Compiled patterns by flags and source: SQLite calls REGEXP once per row with the same pattern. */
const compiled = new Map<string, LinearRegex>();
const MAX_CACHED = 256;

function compile(source: string, flags: number): LinearRegex {
  const key = `${flags}:${source}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const re = RE2JS.compile(source, flags);
  if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, re);
  return re;
}

/**
 * Compiles an RLIKE pattern (RE2 syntax, unanchored search, case-sensitive unless `(?i)`).
 * Throws the engine's syntax error, whose message names the offending part, for an invalid one.
 */
export function compileRlike(pattern: string): LinearRegex {
  return compile(pattern, 0);
}

/** True when `value` contains a match of the RLIKE `pattern`. */
export function rlikeMatches(pattern: string, value: string): boolean {
  return compileRlike(pattern).test(value);
}

/** RE2 metacharacters, escaped so that the rest of a LIKE pattern is taken literally. */
const RE2_META = /[\\.+*?()|[\]{}^$]/g;

/**
 * A SQL LIKE pattern (`%` any run of characters, `_` exactly one) as a whole-input matcher.
 * ILIKE passes `caseInsensitive`.
 */
export function compileLike(pattern: string, caseInsensitive: boolean): LinearRegex {
  let source = "";
  for (const ch of pattern) {
    if (ch === "%") source += ".*";
    else if (ch === "_") source += ".";
    else source += ch.replace(RE2_META, "\\$&");
  }
  // DOTALL: `%` and `_` match line breaks too, as in SQL
  return compile(source, RE2JS.DOTALL | (caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0));
}
