import { z } from "@hono/zod-openapi";

/**
 * The hyperparameter catalogue of GET /generation-v2/config, generated from the zod schemas (their JSON
 * Schema, descriptions included) and bounded above by the platform: the SQL spec of validate_model_config
 * (model_config_spec(), whose `maximumSetting` names the platform setting that caps it). What this
 * answers is therefore exactly what POST /generation-v2/start accepts.
 */
interface JsonSchemaProp {
  type?: string;
  default?: unknown;
  description?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  maxItems?: number;
  items?: JsonSchemaProp;
  enum?: unknown[];
}

export interface SqlSpecProp {
  type?: string;
  maximum?: number;
  maximumSetting?: string;
  maxItems?: number;
  items?: SqlSpecProp;
}

const boundsSchema = z.object({
  type: z.enum(["integer", "number", "boolean", "array", "string"]),
  minimum: z.number().nullable(),
  exclusive_minimum: z.number().nullable(),
  maximum: z.number().nullable(),
  choices: z.array(z.unknown()).nullable(),
});

export const hyperparameterSchema = boundsSchema
  .extend({
    name: z.string(),
    description: z.string(),
    default: z
      .unknown()
      .openapi({ description: "null: resolved from the data at fit time (see description)" }),
    required: z.boolean(),
    max_items: z.number().int().nullable(),
    items: boundsSchema.nullable(),
  })
  .openapi("Hyperparameter");
export type Hyperparameter = z.infer<typeof hyperparameterSchema>;

// zod writes Number.MAX_SAFE_INTEGER as the bound of every .int(): no bound a person needs to read.
const real = (n: number | undefined) =>
  n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER ? null : n;

function bounds(prop: JsonSchemaProp, sql: SqlSpecProp | undefined, settings: Record<string, unknown>) {
  const platform =
    sql?.maximumSetting !== undefined && typeof settings[sql.maximumSetting] === "number"
      ? (settings[sql.maximumSetting] as number)
      : sql?.maximum;
  const caps = [real(prop.maximum), platform ?? null].filter((n): n is number => n !== null);
  const type = (prop.type ?? "string") as z.infer<typeof boundsSchema>["type"];
  return {
    type,
    minimum: real(prop.minimum),
    exclusive_minimum: real(prop.exclusiveMinimum),
    maximum: caps.length > 0 ? Math.min(...caps) : null,
    choices: type === "boolean" ? [true, false] : (prop.enum ?? null),
  };
}

export function describeOptions(
  schema: z.ZodType,
  sqlSpec: Record<string, SqlSpecProp>,
  settings: Record<string, unknown>,
): Record<string, Hyperparameter> {
  const json = z.toJSONSchema(schema, { io: "input" }) as {
    properties?: Record<string, JsonSchemaProp>;
    required?: string[];
  };
  const out: Record<string, Hyperparameter> = {};
  for (const [name, prop] of Object.entries(json.properties ?? {})) {
    const sql = sqlSpec[name];
    const maxItems = [real(prop.maxItems), sql?.maxItems ?? null].filter((n): n is number => n !== null);
    out[name] = {
      name,
      description: prop.description ?? "",
      default: prop.default ?? null,
      required: json.required?.includes(name) ?? false,
      ...bounds(prop, sql, settings),
      max_items: prop.type === "array" && maxItems.length > 0 ? Math.min(...maxItems) : null,
      items: prop.type === "array" && prop.items ? bounds(prop.items, sql?.items, settings) : null,
    };
  }
  return out;
}
