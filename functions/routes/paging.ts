import { z } from "@hono/zod-openapi";

/** `page` from 1 and `page_size` 1..100 (default 20), as every list endpoint takes them. */
export const pageQuery = {
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  page_size: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
};

/** The answer of a list endpoint: one page of items and the total before paging. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    page: z.number().int(),
    page_size: z.number().int(),
    total: z.number().int(),
  });
}

/** A count from PostgreSQL (bigint arrives as a string from postgres.js) as a number. */
export const toCount = (value: string | number | bigint | null | undefined): number => Number(value ?? 0);
