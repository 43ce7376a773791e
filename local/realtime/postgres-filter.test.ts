import { describe, expect, it } from "vitest";
import { parseFilter } from "./postgres-filter.ts";

/** The filter grammar of Realtime's parse_subscription_params, with its examples and error wording. */
describe("parseFilter", () => {
  it("reads one segment, ANDed segments, not. and in lists as Realtime stores them", () => {
    expect(parseFilter("subject=eq.hey")).toEqual({
      ok: true,
      filters: [{ column: "subject", operator: "eq", value: "hey", negate: false }],
    });
    expect(parseFilter("id=gt.0,id=lt.100")).toEqual({
      ok: true,
      filters: [
        { column: "id", operator: "gt", value: "0", negate: false },
        { column: "id", operator: "lt", value: "100", negate: false },
      ],
    });
    expect(parseFilter("subject=not.like.hey%")).toEqual({
      ok: true,
      filters: [{ column: "subject", operator: "like", value: "hey%", negate: true }],
    });
    expect(parseFilter('subject=in.(hidee,"a,b"),n=eq.1')).toEqual({
      ok: true,
      filters: [
        { column: "subject", operator: "in", value: '{hidee,"a,b"}', negate: false },
        { column: "n", operator: "eq", value: "1", negate: false },
      ],
    });
    expect(parseFilter('name=eq."a,b"')).toEqual({
      ok: true,
      filters: [{ column: "name", operator: "eq", value: "a,b", negate: false }],
    });
    expect(parseFilter("email=eq.a.b@c.d")).toMatchObject({ ok: true, filters: [{ value: "a.b@c.d" }] });
    expect(parseFilter("   ")).toEqual({ ok: true, filters: [] });
    expect(parseFilter(undefined)).toEqual({ ok: true, filters: [] });
  });

  it("refuses what Realtime refuses, in its words", () => {
    expect(parseFilter("subject=foo.hey")).toEqual({
      ok: false,
      error: 'Error parsing `filter` params: ["foo", "hey"]',
    });
    expect(parseFilter("undefined")).toEqual({
      ok: false,
      error: 'Error parsing `filter` params: ["undefined"]',
    });
    expect(parseFilter("id=in.1,2")).toEqual({
      ok: false,
      error: "Error parsing `filter` params: `in` filter value must be wrapped by parentheses",
    });
    expect(parseFilter("id=eq.1,,id=eq.2")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/empty segments/),
    });
    expect(parseFilter("done=is.maybe")).toMatchObject({ ok: false });
  });
});
