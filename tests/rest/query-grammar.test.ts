import { describe, expect, it } from "vitest";
import { PgrstError } from "../../local/rest/pgrst-error.ts";
import { parseFilter, parseLogic, parseOrder, parseSelect } from "../../local/rest/query-grammar.ts";

/** PostgREST's query grammar as the local stand-in reads it; the wire tests cover what it answers. */

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PgrstError) return error.code;
    throw error;
  }
  return "parsed";
};

describe("query grammar", () => {
  it("select lists: star, renames, casts, quoted and dashed names", () => {
    expect(parseSelect('*,n:name,made:created_at::text,"odd,name",first-name', "t")).toEqual([
      { kind: "star" },
      { kind: "column", name: "name", alias: "n" },
      { kind: "column", name: "created_at", alias: "made", cast: "text" },
      { kind: "column", name: "odd,name" },
      { kind: "column", name: "first-name" },
    ]);
    expect(parseSelect("", "t")).toEqual([]);
  });

  it("refuses embedding, spreads, aggregates and JSON paths by their codes", () => {
    expect(codeOf(() => parseSelect("id,datasets(name)", "t"))).toBe("PGRST200");
    expect(codeOf(() => parseSelect("...datasets(name)", "t"))).toBe("PGRST200");
    expect(codeOf(() => parseSelect("a:datasets!inner(name)", "t"))).toBe("PGRST200");
    expect(codeOf(() => parseSelect("count()", "t"))).toBe("PGRST123");
    expect(codeOf(() => parseSelect("size.sum()", "t"))).toBe("PGRST123");
    expect(codeOf(() => parseSelect("data->a", "t"))).toBe("PGRST127");
    expect(codeOf(() => parseSelect("id;drop", "t"))).toBe("PGRST100");
  });

  it("filters: operators, not, quantifiers, lists with quoted commas, is", () => {
    expect(parseFilter("a", "not.like(any).{x*,y*}")).toEqual({
      kind: "compare",
      column: "a",
      negate: true,
      op: "like",
      quant: "any",
      value: "{x*,y*}",
    });
    expect(parseFilter("a", 'in.(1,"b,c",d)')).toEqual({
      kind: "in",
      column: "a",
      negate: false,
      values: ["1", "b,c", "d"],
    });
    expect(parseFilter("a", "is.NULL")).toEqual({ kind: "is", column: "a", negate: false, value: "null" });
    expect(parseFilter("a", "fts(english).cat")).toMatchObject({ op: "fts", lang: "english", value: "cat" });
    expect(parseFilter("a", "eq.x.y;z")).toMatchObject({ op: "eq", value: "x.y;z" });
    const error = (() => {
      try {
        parseFilter("a", "noop.1");
      } catch (e) {
        return e as PgrstError;
      }
    })();
    expect(error?.message).toBe('"failed to parse filter (noop.1)" (line 1, column 1)');
  });

  it("or/and trees nest, and their depth is capped", () => {
    expect(parseLogic("or", "(a.eq.1,and(b.gt.2,c.not.is.null))")).toEqual({
      kind: "logic",
      negate: false,
      op: "or",
      children: [
        { kind: "compare", column: "a", negate: false, op: "eq", value: "1" },
        {
          kind: "logic",
          negate: false,
          op: "and",
          children: [
            { kind: "compare", column: "b", negate: false, op: "gt", value: "2" },
            { kind: "is", column: "c", negate: true, value: "null" },
          ],
        },
      ],
    });
    expect(codeOf(() => parseLogic("or", `(${"and(".repeat(50)}a.eq.1${")".repeat(50)})`))).toBe("PGRST100");
    expect(codeOf(() => parseLogic("or", "(a.eq.1"))).toBe("PGRST100");
  });

  it("order terms", () => {
    expect(parseOrder("a.desc.nullslast,b,c.nullsfirst")).toEqual([
      { column: "a", direction: "desc", nulls: "last" },
      { column: "b" },
      { column: "c", nulls: "first" },
    ]);
    expect(codeOf(() => parseOrder("a.sideways"))).toBe("PGRST100");
    expect(codeOf(() => parseOrder("datasets(name).asc"))).toBe("PGRST108");
  });
});
