import { describe, expect, it } from "vitest";
import { bindArguments, parseParams } from "../src/internal/params.js";

describe("parameter names", () => {
  it.each([
    [
      function f(a: number, b: number) {
        return a + b;
      },
      ["a", "b"],
    ],
    [(x: number, y = 4, exp = 2) => x + y + exp, ["x", "y", "exp"]],
    [async (question: string) => question, ["question"]],
    [(q: string) => q, ["q"]],
    [
      function* gen(n: number) {
        yield n;
      },
      ["n"],
    ],
    [({ a }: { a: number }, [b]: number[]) => a + (b ?? 0), ["arg0", "arg1"]],
    [(a: number, ...rest: number[]) => a + rest.length, ["a", "rest"]],
    [(a = "x,y", b = ")") => a + b, ["a", "b"]],
  ])("reads the parameters of %s", (fn, names) => {
    expect(parseParams(fn as Function)!.map((p) => p.name)).toEqual(names);
  });

  it("returns null for native functions", () => {
    expect(parseParams(Math.pow)).toBeNull();
  });

  it("binds arguments, literal defaults, rest parameters and extra arguments", () => {
    const params = parseParams((x: number, y = 4, s = "a,b", ...rest: unknown[]) => [x, y, s, rest])!;
    expect(bindArguments(params, [1])).toEqual({ x: 1, y: 4, s: "a,b", rest: [] });
    expect(bindArguments(params, [1, 2, "c", 9, 10])).toEqual({ x: 1, y: 2, s: "c", rest: [9, 10] });
    expect(bindArguments(null, [5, 6])).toEqual({ arg0: 5, arg1: 6 });
  });
});
