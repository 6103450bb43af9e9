import { describe, expect, it } from "vitest";
import { InvalidFilterError } from "../src/index.js";
import { parseOrderBy } from "../src/store/filter/parser.js";
import { parseFilter } from "../src/stores.js";

/** [filter, offending token, position, words the message must contain] */
const INVALID: Array<[string, string, number, RegExp]> = [
  ["status = 'OK' OR status = 'ERROR'", "OR", 14, /OR is not supported/],
  ["attributes.status", "<end of input>", 17, /expected a comparison operator/],
  ["attributes.status =", "<end of input>", 19, /expected a value/],
  ["attributes.status = OK", "OK", 20, /takes a quoted string/],
  ["attributes.timestamp_ms > 'yesterday'", "'yesterday'", 26, /takes a number/],
  ["attributes.timestamp_ms LIKE 5", "LIKE", 24, /operator LIKE cannot be used with attributes.timestamp_ms/],
  ["attributes.status < 'OK'", "<", 18, /operator < cannot be used with attributes.status/],
  ["attributes.bogus = 'x'", "bogus", 11, /unknown attribute "bogus"/],
  ["bogus = 'x'", "bogus", 0, /unknown attribute "bogus"/],
  ["things.env = 'x'", "things", 0, /unknown field type "things"/],
  ["span.duration = 'x'", "duration", 5, /unknown span field "duration"/],
  ["feedback.rating = 5", "5", 18, /feedback.rating takes a quoted string/],
  ["tags.env = 'prod", "'prod", 11, /unterminated string/],
  ["tags.`env = 'x'", "`env = 'x'", 5, /unterminated backquoted key/],
  ["tags.env = 'x' AND", "<end of input>", 18, /expected a clause after AND/],
  ["tags.env = 'x' tags.team = 'y'", "tags", 15, /expected AND or the end/],
  ["AND tags.env = 'x'", "AND", 0, /cannot start a clause/],
  ["= 'x'", "=", 0, /expected a field/],
  ["tags. = 'x'", "=", 6, /expected a key after "tags."/],
  ["tags.env ~ 'x'", "~", 9, /unknown operator "~"/],
  ["tags.env = 'x' ; DROP TABLE traces", ";", 15, /unexpected character ";"/],
  ["status IN 'x'", "'x'", 10, /expected "\(" to start the IN list/],
  ["status IN ('a' 'b')", "'b'", 15, /expected "," or "\)" in the IN list/],
  ["status IN ('a',", "<end of input>", 15, /expected a value/],
  ["tags.env NOT LIKE 'x'", "LIKE", 13, /expected IN after NOT/],
  ["tags.env IS 'x'", "'x'", 12, /expected NULL after IS/],
  ["tags.env IS NOT 5", "5", 16, /expected NULL after IS/],
  ["attributes.status IS NULL", "IS", 18, /operator IS NULL cannot be used with attributes.status/],
  ["attributes.timestamp_ms > 12abc", "12abc", 26, /is not a number/],
  ["attributes.timestamp_ms > 1.2.3", "1.2.3", 26, /is not a number/],
  ["tags.env = 5", "5", 11, /takes a quoted string/],
  ["(tags.env = 'x')", "(", 0, /expected a field/],
  ["tags.env = = 'x'", "=", 11, /takes a quoted string/],
  ["tags.env == 'x'", "==", 9, /unknown operator "==" \(use =\)/],
  ["run_id > 'a'", ">", 7, /operator > cannot be used/],
];

describe("invalid filter strings", () => {
  it.each(INVALID)("rejects %j naming the token and its position", (filter, token, position, message) => {
    let error: unknown;
    try {
      parseFilter(filter);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidFilterError);
    const e = error as InvalidFilterError;
    expect(e.token).toBe(token);
    expect(e.position).toBe(position);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`position ${position}`);
  });

  it("has a table of at least 30 cases", () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(30);
  });

  it("accepts an empty filter", () => {
    expect(parseFilter("")).toEqual([]);
    expect(parseFilter("   ")).toEqual([]);
  });

  it("rejects invalid order-by clauses", () => {
    expect(() => parseOrderBy(["timestamp_ms SIDEWAYS"])).toThrow(/expected ASC or DESC but found "SIDEWAYS"/);
    expect(() => parseOrderBy(["nonsense DESC"])).toThrow(/unknown attribute "nonsense"/);
    expect(() => parseOrderBy([""])).toThrow(InvalidFilterError);
  });
});
