import { sql } from "kysely";
import type { Db } from "../../shared/platform/db.ts";

/**
 * Local-only change capture for the Realtime stand-in (never part of supabase/migrations: hosted Supabase
 * reads the WAL instead). Every table of the `supabase_realtime` publication gets an AFTER row trigger
 * that sends, at commit, the change's schema, table, operation, timestamp and primary key. The row as the
 * change left it (what the WAL carries) goes into `synth_realtime.change_log`, and the notification names
 * its entry: any role may LISTEN, so row data never travels in a notification, and the log is readable by
 * its owner alone. With the row's values of the moment, a subscriber told of `queued` then `running` hears
 * both, even when the second commit lands before the first is delivered. The stand-in takes each entry
 * once (local/realtime/change-log.ts); entries it never took (it was down, or its queue full) are pruned
 * after LOG_RETENTION, by the trigger now and then and at every start.
 */

/** The LISTEN channel the capture triggers notify and the Realtime stand-in listens on. */
export const REALTIME_NOTIFY_CHANNEL = "synth_realtime";
const TRIGGER_NAME = "synth_realtime_capture";
// NOTIFY refuses payloads of 8000 bytes or more; a change that would not fit is reported and skipped.
const MAX_PAYLOAD_BYTES = 7999;
const LOG_RETENTION = "10 minutes";
// One in this many captured rows also prunes the log, so an unattended log stays bounded at little cost.
const PRUNE_EVERY = 512;

// One statement each: the extended query protocol (postgres.js, PGlite) runs a single command per query.
const STATEMENTS = [
  `create schema if not exists synth_realtime`,
  `comment on schema synth_realtime is 'Local platform only: change capture for the local Realtime stand-in (triggers + pg_notify).'`,
  `revoke all on schema synth_realtime from public`,
  `create unlogged table if not exists synth_realtime.change_log (
     id bigint generated always as identity primary key,
     row_values jsonb not null,
     captured_at timestamptz not null default clock_timestamp()
   )`,
  `alter table synth_realtime.change_log enable row level security`,
  `revoke all on synth_realtime.change_log from public`,
  `comment on table synth_realtime.change_log is 'Local platform only: the new values of captured changes until the local Realtime stand-in takes them; its owner alone reads it.'`,
  // The trigger writes the log whoever changed the row, so it runs as the log's owner.
  `create or replace function synth_realtime.notify_change() returns trigger
     language plpgsql security definer set search_path = pg_catalog as $fn$
   declare
     pk_columns text[];
     new_row jsonb;
     old_row jsonb;
     change_id bigint;
     payload text;
   begin
     select array_agg(a.attname::text order by a.attnum) into pk_columns
       from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = TG_RELID and i.indisprimary;
     if pk_columns is null then
       return null;
     end if;
     if TG_OP <> 'DELETE' then
       new_row := to_jsonb(NEW);
     end if;
     if TG_OP <> 'INSERT' then
       old_row := to_jsonb(OLD);
     end if;
     if new_row is not null then
       insert into synth_realtime.change_log (row_values) values (new_row) returning id into change_id;
       if change_id % ${PRUNE_EVERY} = 0 then
         delete from synth_realtime.change_log where captured_at < clock_timestamp() - interval '${LOG_RETENTION}';
       end if;
     end if;
     payload := jsonb_build_object(
       'schema', TG_TABLE_SCHEMA,
       'table', TG_TABLE_NAME,
       'type', TG_OP,
       'commit_timestamp', to_char(clock_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       'pk', (select jsonb_object_agg(k, new_row -> k) from unnest(pk_columns) k where new_row is not null),
       'old_pk', (select jsonb_object_agg(k, old_row -> k) from unnest(pk_columns) k where old_row is not null),
       'change_id', change_id
     )::text;
     if octet_length(payload) > ${MAX_PAYLOAD_BYTES} then
       raise warning 'synth_realtime: change on %.% not sent, its primary key is too large for NOTIFY',
         TG_TABLE_SCHEMA, TG_TABLE_NAME;
       delete from synth_realtime.change_log where id = change_id;
       return null;
     end if;
     perform pg_notify('${REALTIME_NOTIFY_CHANNEL}', payload);
     return null;
   end
   $fn$`,
  `comment on function synth_realtime.notify_change() is 'Local platform only: logs the new values of a changed row in synth_realtime.change_log and notifies ${REALTIME_NOTIFY_CHANNEL} with the schema, table, operation, timestamp, primary key and log entry.'`,
  `create or replace function synth_realtime.install_capture() returns setof text
     language plpgsql set search_path = pg_catalog as $fn$
   declare
     r record;
   begin
     for r in select t.tgrelid::regclass as rel from pg_trigger t where t.tgname = '${TRIGGER_NAME}' loop
       execute format('drop trigger ${TRIGGER_NAME} on %s', r.rel);
     end loop;
     for r in select format('%I.%I', p.schemaname, p.tablename) as rel
                from pg_publication_tables p where p.pubname = 'supabase_realtime'
               order by 1 loop
       execute format('create trigger ${TRIGGER_NAME} after insert or update or delete on %s
                       for each row execute function synth_realtime.notify_change()', r.rel);
       return next r.rel;
     end loop;
   end
   $fn$`,
  `comment on function synth_realtime.install_capture() is 'Local platform only: (re)creates the capture trigger on exactly the tables of the supabase_realtime publication; returns them.'`,
];

/**
 * (Re)creates the capture triggers for the publication's current tables: call it after migrations at
 * every start, as a table added to or dropped from the publication is then followed. Idempotent, and
 * serialised by an advisory lock so two processes starting at once do not race.
 */
export async function installRealtimeCapture(db: Db): Promise<{ tables: string[] }> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext('synth:realtime-capture'))`.execute(tx);
    for (const statement of STATEMENTS) await sql.raw(statement).execute(tx);
    await sql`delete from synth_realtime.change_log where captured_at < clock_timestamp() - ${LOG_RETENTION}::interval`.execute(
      tx,
    );
    const { rows } = await sql<{ rel: string }>`select synth_realtime.install_capture() as rel`.execute(tx);
    return { tables: rows.map((r) => r.rel) };
  });
}
