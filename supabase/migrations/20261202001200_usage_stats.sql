-- Numbers the API serves: per-route performance, a user's daily usage, and the admins' system overview.
-- The first two are security invoker, so RLS decides what they aggregate (a user's own log lines and jobs;
-- an admin's reach is every row); the overview reads auth.users and storage.objects, which no API role can
-- read, so it is security definer behind an explicit admin check.

-- Per route and method since `since`: requests, server errors (status >= 500), client errors (4xx), the
-- server error rate, and latency percentiles (continuous, in ms). only_mine (the default) counts the
-- caller's own requests; false counts every line the caller may read, which is all of them for an admin
-- and still only their own for anyone else. Most requested routes first.
create or replace function public.api_route_stats(since timestamptz, only_mine boolean default true)
returns table (
  route text,
  method text,
  requests bigint,
  errors bigint,
  client_errors bigint,
  error_rate double precision,
  p50_ms double precision,
  p95_ms double precision,
  p99_ms double precision
)
language sql
stable
security invoker
set search_path = ''
as $$
  select l.route,
         l.method,
         count(*)::bigint,
         count(*) filter (where l.status >= 500)::bigint,
         count(*) filter (where l.status between 400 and 499)::bigint,
         (count(*) filter (where l.status >= 500))::double precision / count(*),
         percentile_cont(0.5) within group (order by l.duration_ms),
         percentile_cont(0.95) within group (order by l.duration_ms),
         percentile_cont(0.99) within group (order by l.duration_ms)
    from public.api_request_logs l
   where l.created_at >= api_route_stats.since
     and (api_route_stats.only_mine is false or l.user_id = (select auth.uid()))
   group by l.route, l.method
   order by count(*) desc, l.route, l.method
$$;
revoke all on function public.api_route_stats(timestamptz, boolean) from public, anon;
grant execute on function public.api_route_stats(timestamptz, boolean) to authenticated, service_role;

-- The caller's own usage per UTC day, from `since` to today, every day present (zeros included) so a chart
-- needs no gap filling: API requests, generation requests created, synthetic rows delivered (sample_size of
-- the requests that succeeded, on the day they finished) and datasets registered. Own rows only, for
-- admins too (the platform-wide numbers are admin_usage_daily's). At most 3660 days back.
create or replace function public.usage_by_day(since date)
returns table (
  day date,
  requests bigint,
  generation_requests bigint,
  rows_generated bigint,
  datasets_uploaded bigint
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  today date := (now() at time zone 'UTC')::date;
  since_at timestamptz;
begin
  if usage_by_day.since is null or usage_by_day.since < today - 3660 then
    raise exception 'since must be a date within the last 3660 days' using errcode = 'invalid_parameter_value';
  end if;
  since_at := usage_by_day.since::timestamp at time zone 'UTC';
  return query
    with days as (
      select usage_by_day.since + i as d from generate_series(0, greatest(today - usage_by_day.since, -1)) i
    ),
    api as (
      select (l.created_at at time zone 'UTC')::date as d, count(*) as n
        from public.api_request_logs l
       where l.user_id = uid and l.created_at >= since_at
       group by 1
    ),
    created as (
      select (g.created_at at time zone 'UTC')::date as d, count(*) as n
        from public.generation_requests g
       where g.owner_id = uid and g.created_at >= since_at
       group by 1
    ),
    delivered as (
      select (g.finished_at at time zone 'UTC')::date as d, sum(g.sample_size)::bigint as n
        from public.generation_requests g
       where g.owner_id = uid and g.status = 'succeeded' and g.finished_at >= since_at
       group by 1
    ),
    registered as (
      select (s.created_at at time zone 'UTC')::date as d, count(*) as n
        from public.datasets s
       where s.owner_id = uid and s.created_at >= since_at
       group by 1
    )
    select days.d, coalesce(api.n, 0)::bigint, coalesce(created.n, 0)::bigint,
           coalesce(delivered.n, 0)::bigint, coalesce(registered.n, 0)::bigint
      from days
      left join api on api.d = days.d
      left join created on created.d = days.d
      left join delivered on delivered.d = days.d
      left join registered on registered.d = days.d
     order by days.d;
end
$$;
revoke all on function public.usage_by_day(date) from public, anon;
grant execute on function public.usage_by_day(date) to authenticated, service_role;

-- The admins' overview, one jsonb document:
--   users              total, disabled (banned now), deleted (soft-deleted), admins
--   jobs               generation_requests and optimization_runs: count per status, every status present
--   queue_wait_seconds generation requests started in the last 7 days: p50 / p95 of the seconds from
--                      entering the queue (approval, or creation when none was needed) to their first start
--   storage            per bucket: objects and bytes (Storage's metadata.size)
--   runners            the runners seen in the last 5 minutes, their running jobs, and each heartbeat row
-- Active admins only (the same rule as decide_generation_request).
create or replace function public.admin_system_stats() returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  job_statuses constant text[] :=
    array['pending_approval', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'rejected'];
  result jsonb;
begin
  if not public.is_admin() or not public.is_active() then
    raise exception 'only an active admin may read the system stats' using errcode = 'insufficient_privilege';
  end if;
  select jsonb_build_object(
    'generated_at', now(),
    'users', (
      select jsonb_build_object(
        'total', count(*),
        'disabled', count(*) filter (where u.banned_until > now()),
        'deleted', count(*) filter (where u.deleted_at is not null),
        'admins', count(*) filter (where u.raw_app_meta_data ->> 'role' = 'admin'))
        from auth.users u),
    'jobs', jsonb_build_object(
      'generation_requests', (
        select jsonb_object_agg(s.status, (select count(*) from public.generation_requests g where g.status = s.status))
          from unnest(job_statuses) s(status)),
      'optimization_runs', (
        select jsonb_object_agg(s.status, (select count(*) from public.optimization_runs r where r.status = s.status))
          from unnest(job_statuses) s(status))),
    'queue_wait_seconds', (
      select jsonb_build_object(
        'window_days', 7,
        'samples', count(*),
        'p50', percentile_cont(0.5) within group (order by w.seconds),
        'p95', percentile_cont(0.95) within group (order by w.seconds))
        from (select extract(epoch from g.started_at - coalesce(g.approved_at, g.created_at))::double precision as seconds
                from public.generation_requests g
               where g.started_at >= now() - interval '7 days') w),
    'storage', (
      select coalesce(jsonb_object_agg(b.id, jsonb_build_object(
               'objects', coalesce(o.objects, 0), 'bytes', coalesce(o.bytes, 0)) order by b.id), '{}'::jsonb)
        from storage.buckets b
        left join (
          select so.bucket_id, count(*) as objects,
                 -- metadata is written by the Storage server, but a malformed size must not break the overview.
                 sum(case when so.metadata ->> 'size' ~ '^[0-9]{1,18}$' then (so.metadata ->> 'size')::bigint else 0 end) as bytes
            from storage.objects so
           group by so.bucket_id) o on o.bucket_id = b.id),
    'runners', (
      select jsonb_build_object(
        'seen_within_seconds', 300,
        'active', count(*),
        'running_jobs', coalesce(sum(h.running_jobs), 0),
        'list', coalesce(jsonb_agg(jsonb_build_object(
                  'runner_id', h.runner_id, 'started_at', h.started_at, 'last_seen_at', h.last_seen_at,
                  'running_jobs', h.running_jobs, 'version', h.version, 'details', h.details)
                  order by h.runner_id), '[]'::jsonb))
        from public.runner_heartbeats h
       where h.last_seen_at > now() - interval '5 minutes')
  ) into result;
  return result;
end
$$;
revoke all on function public.admin_system_stats() from public, anon;
grant execute on function public.admin_system_stats() to authenticated;
