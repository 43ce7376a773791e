import { notImplemented, parseError, PgrstError } from "./pgrst-error.ts";

/**
 * PostgREST's query-string grammar (src/library/PostgREST/ApiRequest/QueryParams.hs) for the subset the
 * local stand-in serves: select lists, horizontal filters, or/and trees, order, columns and on_conflict.
 * Only names and plain values come out of here; nothing is ever spliced into SQL (sql-fragments.ts
 * resolves every name against the catalog and binds every value).
 */

export type SelectItem = { kind: "star" } | { kind: "column"; name: string; alias?: string; cast?: string };

export type Operator =
  | "eq"
  | "neq"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "like"
  | "ilike"
  | "match"
  | "imatch"
  | "isdistinct"
  | "cs"
  | "cd"
  | "ov"
  | "sl"
  | "sr"
  | "nxr"
  | "nxl"
  | "adj"
  | "fts"
  | "plfts"
  | "phfts"
  | "wfts";

export type IsValue = "null" | "not_null" | "true" | "false" | "unknown";

export type Condition =
  | {
      kind: "compare";
      column: string;
      negate: boolean;
      op: Operator;
      quant?: "any" | "all";
      lang?: string;
      value: string;
    }
  | { kind: "in"; column: string; negate: boolean; values: string[] }
  | { kind: "is"; column: string; negate: boolean; value: IsValue }
  | { kind: "logic"; negate: boolean; op: "and" | "or"; children: Condition[] };

export interface OrderTerm {
  column: string;
  direction?: "asc" | "desc";
  nulls?: "first" | "last";
}

/** Nesting of or/and trees and list sizes are capped: a hostile query must not cost more than a parse. */
export const GRAMMAR_LIMITS = { maxDepth: 8, maxListItems: 1000, maxConditions: 200 } as const;

const SIMPLE_OPERATORS = ["neq", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"] as const;
const QUANT_OPERATORS = ["eq", "gte", "gt", "lte", "lt", "like", "ilike", "match", "imatch"] as const;
const FTS_OPERATORS = ["fts", "plfts", "phfts", "wfts"] as const;
const IS_VALUES: IsValue[] = ["null", "not_null", "true", "false", "unknown"];

class Cursor {
  pos = 0;
  constructor(
    readonly input: string,
    readonly what: string,
  ) {}
  get done(): boolean {
    return this.pos >= this.input.length;
  }
  peek(n = 1): string {
    return this.input.slice(this.pos, this.pos + n);
  }
  eat(token: string): boolean {
    if (this.input.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }
  skipSpaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos += 1;
  }
  fail(expecting: string): PgrstError {
    const found = this.done ? "end of input" : JSON.stringify(this.peek());
    return parseError(this.what, this.input, this.pos + 1, `unexpected ${found} expecting ${expecting}`);
  }
}

const IDENTIFIER_CHAR = /[\p{L}\p{N}_$ ]/u;

/** pFieldName: a double-quoted name (backslash escapes) or identifier characters joined by single dashes. */
function fieldName(c: Cursor): string {
  if (c.peek() === '"') return quoted(c);
  const identifier = (): string => {
    const start = c.pos;
    while (!c.done && IDENTIFIER_CHAR.test(c.peek())) c.pos += 1;
    return c.input.slice(start, c.pos).trim();
  };
  const parts = [identifier()];
  if (parts[0] === "") throw c.fail("field name (* or [a..z0..9_$])");
  while (c.peek() === "-" && c.peek(2) !== "->" && IDENTIFIER_CHAR.test(c.input.charAt(c.pos + 1))) {
    c.pos += 1;
    parts.push(identifier());
  }
  return parts.join("-");
}

function quoted(c: Cursor): string {
  const start = c.pos;
  c.pos += 1;
  let out = "";
  while (!c.done && c.peek() !== '"') {
    if (c.peek() === "\\") c.pos += 1;
    if (c.done) break;
    out += c.peek();
    c.pos += 1;
  }
  if (!c.eat('"')) {
    c.pos = Math.max(c.pos, start);
    throw c.fail('"\\"" (end of quoted name)');
  }
  return out;
}

function rejectJsonPath(c: Cursor): void {
  if (c.peek(2) === "->")
    throw notImplemented("JSON paths (-> and ->>) are not served by the local REST stand-in");
}

/** select=: columns, `*`, `alias:col`, `col::type`. Embedding and aggregates are refused by name. */
export function parseSelect(input: string, relation: string): SelectItem[] {
  const c = new Cursor(input, "select parameter");
  const items: SelectItem[] = [];
  // An empty select= selects no column at all: every row is answered as {} (PostgREST does the same).
  if (input === "") return [];
  for (;;) {
    c.skipSpaces();
    items.push(selectItem(c, relation));
    c.skipSpaces();
    if (c.done) return items;
    if (!c.eat(",")) throw c.fail('"," or end of input');
  }
}

function selectItem(c: Cursor, relation: string): SelectItem {
  if (c.eat("*")) return { kind: "star" };
  if (c.peek(3) === "...") {
    c.pos += 3;
    throw noRelationship(relation, fieldName(c));
  }
  let name = fieldName(c);
  let alias: string | undefined;
  if (c.peek() === ":" && c.peek(2) !== "::") {
    c.pos += 1;
    alias = name;
    name = fieldName(c);
  }
  if (c.peek() === "!" || c.peek() === "(") {
    if (name === "count" && c.peek(2) === "()") throw aggregatesNotAllowed();
    throw noRelationship(relation, name);
  }
  rejectJsonPath(c);
  let cast: string | undefined;
  if (c.eat("::")) cast = fieldName(c);
  if (c.peek() === "." && /^\.(sum|avg|count|max|min)\(\)/.test(c.input.slice(c.pos)))
    throw aggregatesNotAllowed();
  if (!c.done && c.peek() !== ",") throw c.fail('"::", "," or end of input');
  return {
    kind: "column",
    name,
    ...(alias === undefined ? {} : { alias }),
    ...(cast === undefined ? {} : { cast }),
  };
}

const aggregatesNotAllowed = () =>
  new PgrstError(400, "PGRST123", "Use of aggregate functions is not allowed");

function noRelationship(parent: string, child: string): PgrstError {
  return new PgrstError(
    400,
    "PGRST200",
    `Could not find a relationship between '${parent}' and '${child}' in the schema cache`,
    `Searched for a foreign key relationship between '${parent}' and '${child}' in the schema 'public', but no matches were found.`,
    "The local REST stand-in does not embed resources: query each table on its own.",
  );
}

/** `'<resource>' is not an embedded resource in this request` (PGRST108): a dotted filter, order or limit. */
export function notEmbedded(resource: string): PgrstError {
  return new PgrstError(
    400,
    "PGRST108",
    `'${resource}' is not an embedded resource in this request`,
    null,
    `Verify that '${resource}' is included in the 'select' query parameter.`,
  );
}

/** A filter parameter: `col=[not.]op.value`. */
export function parseFilter(column: string, input: string): Condition {
  const c = new Cursor(input, "filter");
  return opExpr(c, column, (cur) => {
    const value = cur.input.slice(cur.pos);
    cur.pos = cur.input.length;
    return value;
  });
}

function opExpr(c: Cursor, column: string, singleValue: (c: Cursor) => string): Condition {
  const negate = c.eat("not.");
  const start = c.pos;
  if (c.eat("in.")) return { kind: "in", column, negate, values: listValue(c) };
  if (c.eat("isdistinct."))
    return { kind: "compare", column, negate, op: "isdistinct", value: singleValue(c) };
  if (c.eat("is.")) {
    const word = IS_VALUES.find((v) => c.input.slice(c.pos, c.pos + v.length).toLowerCase() === v);
    if (word === undefined) throw c.fail("isVal: (null, not_null, true, false, unknown)");
    c.pos += word.length;
    return { kind: "is", column, negate, value: word };
  }
  for (const op of FTS_OPERATORS) {
    if (!c.input.startsWith(op, c.pos) || !/^[.(]/.test(c.input.charAt(c.pos + op.length))) continue;
    c.pos += op.length;
    let lang: string | undefined;
    if (c.eat("(")) {
      const end = c.input.indexOf(")", c.pos);
      if (end < 0) throw c.fail('")"');
      lang = c.input.slice(c.pos, end);
      c.pos = end + 1;
    }
    if (!c.eat(".")) throw c.fail("delimiter (.)");
    return compare(column, negate, op, singleValue(c), { lang });
  }
  for (const op of [...SIMPLE_OPERATORS, ...QUANT_OPERATORS]) {
    if (!c.input.startsWith(op, c.pos)) continue;
    const after = c.input.charAt(c.pos + op.length);
    const quantifiable = (QUANT_OPERATORS as readonly string[]).includes(op);
    if (after !== "." && !(quantifiable && after === "(")) continue;
    c.pos += op.length;
    let quant: "any" | "all" | undefined;
    if (quantifiable && c.eat("(")) {
      if (c.eat("any)")) quant = "any";
      else if (c.eat("all)")) quant = "all";
      else throw c.fail('"any" or "all"');
    }
    if (!c.eat(".")) throw c.fail("delimiter (.)");
    return compare(column, negate, op, singleValue(c), { quant });
  }
  c.pos = start;
  throw c.fail(negate ? "operator (eq, gt, ...)" : '"not" or operator (eq, gt, ...)');
}

function compare(
  column: string,
  negate: boolean,
  op: Operator,
  value: string,
  extra: { lang?: string; quant?: "any" | "all" },
): Condition {
  const condition: Condition = { kind: "compare", column, negate, op, value };
  if (extra.lang !== undefined) condition.lang = extra.lang;
  if (extra.quant !== undefined) condition.quant = extra.quant;
  return condition;
}

/** pListVal: `(a, "b,c", d)`; quoted elements keep commas and parentheses. */
function listValue(c: Cursor): string[] {
  c.skipSpaces();
  if (!c.eat("(")) throw c.fail('"("');
  const values: string[] = [];
  for (;;) {
    if (values.length >= GRAMMAR_LIMITS.maxListItems)
      throw c.fail(`at most ${GRAMMAR_LIMITS.maxListItems} list elements`);
    if (c.peek() === '"') {
      const save = c.pos;
      const value = quoted(c);
      if (c.peek() === "," || c.peek() === ")") values.push(value);
      else {
        c.pos = save;
        values.push(rawElement(c));
      }
    } else values.push(rawElement(c));
    if (c.eat(",")) continue;
    c.skipSpaces();
    if (!c.eat(")")) throw c.fail('"," or ")"');
    c.skipSpaces();
    return values;
  }
}

function rawElement(c: Cursor): string {
  const start = c.pos;
  while (!c.done && c.peek() !== "," && c.peek() !== ")") c.pos += 1;
  return c.input.slice(start, c.pos);
}

/** or=(…) / and=(…) / not.or=(…): the key names the operator, the value is the parenthesised list. */
export function parseLogic(key: "and" | "or" | "not.and" | "not.or", input: string): Condition {
  const c = new Cursor(`${key}${input}`, "logic tree");
  const counter = { n: 0 };
  const tree = logicTree(c, 0, counter);
  if (!c.done) throw c.fail('"," or end of input');
  return tree;
}

function logicTree(c: Cursor, depth: number, counter: { n: number }): Condition {
  if (depth > GRAMMAR_LIMITS.maxDepth) throw c.fail(`at most ${GRAMMAR_LIMITS.maxDepth} nested and/or`);
  counter.n += 1;
  if (counter.n > GRAMMAR_LIMITS.maxConditions)
    throw c.fail(`at most ${GRAMMAR_LIMITS.maxConditions} conditions`);
  const start = c.pos;
  const negate = c.eat("not.");
  let op: "and" | "or" | undefined;
  if (c.peek(4) === "and(") op = "and";
  else if (c.peek(3) === "or(") op = "or";
  if (op !== undefined) {
    c.pos += op.length + 1;
    const children: Condition[] = [];
    for (;;) {
      c.skipSpaces();
      children.push(logicTree(c, depth + 1, counter));
      c.skipSpaces();
      if (c.eat(",")) continue;
      if (c.eat(")")) return { kind: "logic", negate, op, children };
      throw c.fail('"," or ")"');
    }
  }
  c.pos = start;
  const column = fieldName(c);
  rejectJsonPath(c);
  if (!c.eat(".")) throw c.fail("delimiter (.)");
  return opExpr(c, column, logicValue);
}

/** pLogicSingleVal: a quoted value, a `{…}` array literal, or everything up to `,` or `)`. */
function logicValue(c: Cursor): string {
  if (c.peek() === '"') {
    const save = c.pos;
    const value = quoted(c);
    if (c.done || c.peek() === "," || c.peek() === ")") return value;
    c.pos = save;
  }
  if (c.peek() === "{") {
    const end = c.input.indexOf("}", c.pos);
    if (end >= 0 && !c.input.slice(c.pos + 1, end).includes("{")) {
      const value = c.input.slice(c.pos, end + 1);
      c.pos = end + 1;
      return value;
    }
  }
  return rawElement(c);
}

/** order=: `col[.asc|.desc][.nullsfirst|.nullslast]`, comma separated. */
export function parseOrder(input: string): OrderTerm[] {
  const c = new Cursor(input, "order");
  const terms: OrderTerm[] = [];
  for (;;) {
    c.skipSpaces();
    const column = fieldName(c);
    if (c.peek() === "(") throw notEmbedded(column);
    rejectJsonPath(c);
    const term: OrderTerm = { column };
    if (c.eat(".asc")) term.direction = "asc";
    else if (c.eat(".desc")) term.direction = "desc";
    if (c.eat(".nullsfirst")) term.nulls = "first";
    else if (c.eat(".nullslast")) term.nulls = "last";
    terms.push(term);
    c.skipSpaces();
    if (c.done) return terms;
    if (!c.eat(","))
      throw c.fail(
        term.direction === undefined ? '"asc", "desc", "nullsfirst" or "nullslast"' : '"," or end of input',
      );
  }
}

/** columns= and on_conflict=: field names separated by commas. */
export function parseColumns(what: "columns parameter" | "on_conflict parameter", input: string): string[] {
  const c = new Cursor(input, what);
  const names: string[] = [];
  for (;;) {
    c.skipSpaces();
    names.push(fieldName(c));
    c.skipSpaces();
    if (c.done) return names;
    if (!c.eat(",")) throw c.fail('"," or end of input');
  }
}

/** A query-parameter key: `col`, or `embedded.col` (dotted paths name embedded resources). */
export function parseKeyPath(key: string): string[] {
  const c = new Cursor(key, "tree path");
  const path = [fieldName(c)];
  while (c.eat(".")) path.push(fieldName(c));
  rejectJsonPath(c);
  if (!c.done) throw c.fail("delimiter (.) or end of input");
  return path;
}
