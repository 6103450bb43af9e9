import { InvalidFilterError } from "../../errors.js";

export type TokenKind = "ident" | "string" | "number" | "op" | "lparen" | "rparen" | "comma" | "keyword" | "dot";

export interface Token {
  kind: TokenKind;
  /** Normalised value: the text between the quotes of a string or quoted key, upper-cased keyword. */
  value: string;
  /** The token as written. */
  text: string;
  position: number;
  /** How an identifier was quoted: backquotes or double quotes (may then contain any character). */
  quoted?: "`" | '"';
}

const KEYWORDS = new Set(["AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "RLIKE", "IS", "NULL"]);
// letters of any script, as in MLflow's tokenizer (`tags.état` is a key)
const IDENT_START = /[\p{L}_]/u;
// no `-`: MLflow's SQL tokenizer reads `tags.my-key` as `tags.my` minus `key`
const IDENT_PART = /[\p{L}\p{N}_$#]/u;
// a run of these is one operator token, as in MLflow's tokenizer: `==` and `<>` are not `=` / `!=`
const OPERATOR_CHARS = /[<>=~!]/;
// MLflow's numbers: integers, decimals and exponents, a leading minus sign but never a plus
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]-?\d+)?/;

/**
 * Reads a quoted run the way MLflow's SQL tokenizer does. A quote character ends it unless it is
 * doubled or follows a backslash; either pair stays in the value as written, because MLflow only
 * trims the outer quotes: neither `''` nor a backslash is an escape, `'it''s'` means `it''s`.
 * Backquoted keys only pair doubled backquotes. Returns the index after the closing quote, or -1.
 */
function quotedEnd(input: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < input.length) {
    const c = input[i] as string;
    if (quote !== "`" && c === "\\" && (input[i + 1] === "\\" || input[i + 1] === quote)) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (input[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return -1;
}

/** Splits a filter string into tokens; reports the first unreadable character with its position. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === "`") {
      const end = quotedEnd(input, start, c);
      if (end < 0) {
        throw new InvalidFilterError(
          `Invalid filter string: unterminated ${c === "`" ? "backquoted key" : "string"} starting at position ${start}. Close it with ${c} (a backslash or a doubled ${c} does not close it).`,
          input.slice(start),
          start,
        );
      }
      const text = input.slice(start, end);
      const value = text.slice(1, -1);
      // a double-quoted run is a string value or, right after a dot, a quoted key (the parser decides)
      tokens.push(
        c === "'"
          ? { kind: "string", value, text, position: start }
          : c === "`"
            ? { kind: "ident", value, text, position: start, quoted: "`" }
            : { kind: "string", value, text, position: start, quoted: '"' },
      );
      i = end;
      continue;
    }
    // right after a dot a run of letters and digits is a name part (`tags.1st`), never a number
    const namePart = tokens.at(-1)?.kind === "dot" && IDENT_PART.test(c);
    const number = !namePart && /[0-9.-]/.test(c) ? NUMBER.exec(input.slice(i)) : null;
    if (number && !(c === "." && tokens.at(-1)?.kind === "ident")) {
      const text = number[0];
      i += text.length;
      if (i < input.length && /[A-Za-z_.]/.test(input[i] as string)) {
        const rest = /^[A-Za-z0-9_.]+/.exec(input.slice(i))?.[0] ?? "";
        throw new InvalidFilterError(
          `Invalid filter string: "${text}${rest}" at position ${start} is not a number.`,
          text + rest,
          start,
        );
      }
      tokens.push({ kind: "number", value: text, text, position: start });
      continue;
    }
    if (namePart || IDENT_START.test(c)) {
      i++;
      while (i < input.length && IDENT_PART.test(input[i] as string)) i++;
      const text = input.slice(start, i);
      const upper = text.toUpperCase();
      tokens.push(
        KEYWORDS.has(upper)
          ? { kind: "keyword", value: upper, text, position: start }
          : { kind: "ident", value: text, text, position: start },
      );
      continue;
    }
    if (OPERATOR_CHARS.test(c)) {
      while (i < input.length && OPERATOR_CHARS.test(input[i] as string)) i++;
      const text = input.slice(start, i);
      tokens.push({ kind: "op", value: text, text, position: start });
      continue;
    }
    if (c === "(") tokens.push({ kind: "lparen", value: c, text: c, position: start });
    else if (c === ")") tokens.push({ kind: "rparen", value: c, text: c, position: start });
    else if (c === ",") tokens.push({ kind: "comma", value: c, text: c, position: start });
    else if (c === ".") tokens.push({ kind: "dot", value: c, text: c, position: start });
    else {
      const hint = c === "-" && tokens.at(-1)?.kind === "ident" ? " Quote a key that contains it: tags.`my-key`." : "";
      throw new InvalidFilterError(
        `Invalid filter string: unexpected character "${c}" at position ${start}.${hint}`,
        c,
        start,
      );
    }
    i++;
  }
  return tokens;
}
