import { InvalidFilterError } from "../../errors.js";

export type TokenKind = "ident" | "string" | "number" | "op" | "lparen" | "rparen" | "comma" | "keyword" | "dot";

export interface Token {
  kind: TokenKind;
  /** Normalised value: unquoted string content, upper-cased keyword/operator. */
  value: string;
  /** The token as written. */
  text: string;
  position: number;
  /** True for identifiers written in backquotes (may contain any character). */
  quoted?: boolean;
}

const KEYWORDS = new Set(["AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "RLIKE", "IS", "NULL"]);
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_-]/;

/** Splits a filter string into tokens; reports the first unreadable character with its position. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === "`") {
      let value = "";
      i++;
      let closed = false;
      while (i < input.length) {
        const d = input[i] as string;
        if (d === "\\" && i + 1 < input.length) {
          value += input[i + 1];
          i += 2;
          continue;
        }
        if (d === c) {
          // a doubled quote inside a string stands for the quote itself
          if (input[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        value += d;
        i++;
      }
      if (!closed) {
        throw new InvalidFilterError(
          `Invalid filter string: unterminated ${c === "`" ? "backquoted key" : "string"} starting at position ${start}. Close it with ${c}.`,
          input.slice(start),
          start,
        );
      }
      const text = input.slice(start, i);
      tokens.push(
        c === "`"
          ? { kind: "ident", value, text, position: start, quoted: true }
          : { kind: "string", value, text, position: start },
      );
      continue;
    }
    if (/[0-9]/.test(c) || ((c === "-" || c === "+") && /[0-9.]/.test(input[i + 1] ?? ""))) {
      i++;
      while (i < input.length && /[0-9.eE]/.test(input[i] as string)) i++;
      const text = input.slice(start, i);
      if (Number.isNaN(Number(text))) {
        throw new InvalidFilterError(
          `Invalid filter string: "${text}" at position ${start} is not a number.`,
          text,
          start,
        );
      }
      tokens.push({ kind: "number", value: text, text, position: start });
      continue;
    }
    if (IDENT_START.test(c)) {
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
    const two = input.slice(i, i + 2);
    if (two === "!=" || two === "<=" || two === ">=" || two === "<>" || two === "==") {
      tokens.push({ kind: "op", value: two === "<>" ? "!=" : two === "==" ? "=" : two, text: two, position: start });
      i += 2;
      continue;
    }
    if (c === "=" || c === "<" || c === ">") {
      tokens.push({ kind: "op", value: c, text: c, position: start });
      i++;
      continue;
    }
    if (c === "(") tokens.push({ kind: "lparen", value: c, text: c, position: start });
    else if (c === ")") tokens.push({ kind: "rparen", value: c, text: c, position: start });
    else if (c === ",") tokens.push({ kind: "comma", value: c, text: c, position: start });
    else if (c === ".") tokens.push({ kind: "dot", value: c, text: c, position: start });
    else {
      throw new InvalidFilterError(
        `Invalid filter string: unexpected character "${c}" at position ${start}.`,
        c,
        start,
      );
    }
    i++;
  }
  return tokens;
}
