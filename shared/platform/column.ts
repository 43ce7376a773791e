import type { ColumnType } from "kysely";

/**
 * A column of the database as code: its PostgreSQL type, nullability and whether the database fills it.
 * The kysely row types are derived from these specs, and a test compares the specs with
 * information_schema, so the TypeScript types cannot drift from the migrations.
 */
export interface ColumnSpec<
  T,
  Nullable extends boolean = false,
  Default extends "none" | "default" | "always" = "none",
> {
  readonly pgType: string;
  readonly nullable: Nullable;
  readonly generated: Default;
  /** Phantom: carries the TypeScript type of the value. */
  readonly __type?: T;
}

export interface ColumnBuilder<
  T,
  N extends boolean,
  D extends "none" | "default" | "always",
> extends ColumnSpec<T, N, D> {
  null(): ColumnBuilder<T, true, D>;
  /** The database has a default (inserts may omit it). */
  default(): ColumnBuilder<T, N, "default">;
  /** Generated always (identity): inserts must omit it. */
  always(): ColumnBuilder<T, N, "always">;
}

function build<T, N extends boolean, D extends "none" | "default" | "always">(
  pgType: string,
  nullable: N,
  generated: D,
): ColumnBuilder<T, N, D> {
  return {
    pgType,
    nullable,
    generated,
    null: () => build<T, true, D>(pgType, true, generated),
    default: () => build<T, N, "default">(pgType, nullable, "default"),
    always: () => build<T, N, "always">(pgType, nullable, "always"),
  };
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const col = {
  uuid: () => build<string, false, "none">("uuid", false, "none"),
  text: <T extends string = string>() => build<T, false, "none">("text", false, "none"),
  integer: () => build<number, false, "none">("integer", false, "none"),
  /** int8 arrives as a string from postgres.js (it may exceed 2^53). */
  bigint: () => build<string, false, "none">("bigint", false, "none"),
  double: () => build<number, false, "none">("double precision", false, "none"),
  boolean: () => build<boolean, false, "none">("boolean", false, "none"),
  timestamptz: () => build<Date, false, "none">("timestamp with time zone", false, "none"),
  /** A calendar date; postgres.js parses it into a Date at UTC midnight. */
  date: () => build<Date, false, "none">("date", false, "none"),
  jsonb: <T extends Json = JsonObject>() => build<T, false, "none">("jsonb", false, "none"),
};

type Value<S> = S extends ColumnSpec<infer T, infer N, infer _D> ? (N extends true ? T | null : T) : never;

/** kysely's column type: selected as the value; insertable unless generated always; optional if defaulted. */
export type KyselyColumn<S> =
  S extends ColumnSpec<infer _T, infer _N, infer D>
    ? D extends "always"
      ? ColumnType<Value<S>, never, never>
      : D extends "default"
        ? ColumnType<Value<S>, Value<S> | undefined, Value<S>>
        : S extends ColumnSpec<infer _T2, true, infer _D2>
          ? ColumnType<Value<S>, Value<S> | undefined, Value<S>>
          : ColumnType<Value<S>, Value<S>, Value<S>>
    : never;

export type KyselyTable<Spec> = { [K in keyof Spec]: KyselyColumn<Spec[K]> };
