-- API rate limits counted in PostgreSQL, so every Edge Function isolate (and every API process) shares
-- one count per user: an in-memory counter per isolate would multiply the limit by the number of isolates.
--
-- Fixed windows aligned to multiples of window_seconds since the epoch: one row per (user, bucket,
-- window), bumped by one atomic upsert. The row lock taken by ON CONFLICT DO UPDATE serialises concurrent
-- hits of one window, and the upsert's WHERE refuses a hit that would pass max_hits without counting it, so
-- N parallel calls with a limit of k allow exactly k. Only take_rate_limit() (security definer) touches the
-- table: users have no privilege and no policy on it, the service role reads it for support.
create table public.api_rate_limits (
  user_id uuid not null references auth.users (id) on delete cascade,
  bucket text not null check (bucket ~ '^[a-z][a-z0-9_]{0,39}$'),
  window_start timestamptz not null,
  hits integer not null check (hits >= 1),
  primary key (user_id, bucket, window_start)
);
alter table public.api_rate_limits enable row level security;
revoke all on table public.api_rate_limits from public, anon, authenticated;

-- No permissive policy: RLS refuses every row to users. The restrictive is_active() policy is there as on
-- every table (tests/db/hardening.test.ts), so a policy added later cannot open it to banned accounts.
create policy "api_rate_limits: active accounts only" on public.api_rate_limits
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));

-- Takes one hit of `bucket` for the calling user. Answers 0 when the hit is allowed (and counted), or,
-- when the window's max_hits are used up, the whole seconds until the window ends (Retry-After, 1 to
-- window_seconds); a refused hit is not counted. The user's rows of that bucket from earlier windows are
-- deleted in the same call (by the primary key's prefix), so the table stays at about one row per active
-- user and bucket.
create or replace function public.take_rate_limit(bucket text, max_hits integer, window_seconds integer)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  epoch_now numeric := extract(epoch from now());
  current_window timestamptz;
  taken integer;
begin
  if uid is null then
    raise exception 'take_rate_limit needs a signed-in user' using errcode = 'insufficient_privilege';
  end if;
  if take_rate_limit.bucket is null or take_rate_limit.bucket !~ '^[a-z][a-z0-9_]{0,39}$' then
    raise exception 'rate limit bucket must match ^[a-z][a-z0-9_]{0,39}$' using errcode = 'invalid_parameter_value';
  end if;
  if max_hits is null or max_hits not between 1 and 100000 then
    raise exception 'max_hits must be between 1 and 100000' using errcode = 'invalid_parameter_value';
  end if;
  if window_seconds is null or window_seconds not between 1 and 86400 then
    raise exception 'window_seconds must be between 1 and 86400' using errcode = 'invalid_parameter_value';
  end if;
  current_window := to_timestamp(floor(epoch_now / window_seconds) * window_seconds);

  delete from public.api_rate_limits r
   where r.user_id = uid and r.bucket = take_rate_limit.bucket and r.window_start < current_window;

  -- The conflict target is named by constraint: a column list would be ambiguous with the parameter.
  insert into public.api_rate_limits as r (user_id, bucket, window_start, hits)
  values (uid, take_rate_limit.bucket, current_window, 1)
  on conflict on constraint api_rate_limits_pkey do update
    set hits = r.hits + 1
    where r.hits < max_hits
  returning r.hits into taken;

  if taken is not null then
    return 0;
  end if;
  return greatest(1, ceil(extract(epoch from current_window) + window_seconds - epoch_now))::integer;
end
$$;
revoke all on function public.take_rate_limit(text, integer, integer) from public, anon;
grant execute on function public.take_rate_limit(text, integer, integer) to authenticated, service_role;
