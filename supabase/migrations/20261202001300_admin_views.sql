-- Views for Supabase Studio's table editor. security_invoker: the view reads the base tables as whoever
-- queries it, so their RLS applies (an admin sees every row, anyone else only their own); a view owned by
-- postgres would otherwise read as its owner and show everything to every role that may select it.

-- The active jobs (pending approval, queued or running) of both queues, oldest first when sorted by
-- created_at. wait_seconds: how long the job waited for a runner, from creation to its first start, or to
-- now while it has not started. lease_expired: running, but its runner stopped renewing the lease (it will
-- be reclaimed).
create view public.admin_queue with (security_invoker = true) as
  select g.id, 'generation'::text as kind, g.owner_id, g.status, g.attempts, g.run_after, g.locked_by,
         g.locked_until, g.created_at, g.started_at,
         extract(epoch from coalesce(g.started_at, now()) - g.created_at)::double precision as wait_seconds,
         (g.status = 'running' and g.locked_until < now()) as lease_expired
    from public.generation_requests g
   where g.status in ('pending_approval', 'queued', 'running')
  union all
  select r.id, 'optimization'::text, r.owner_id, r.status, r.attempts, r.run_after, r.locked_by,
         r.locked_until, r.created_at, r.started_at,
         extract(epoch from coalesce(r.started_at, now()) - r.created_at)::double precision,
         (r.status = 'running' and r.locked_until < now())
    from public.optimization_runs r
   where r.status in ('pending_approval', 'queued', 'running');

-- Platform usage per UTC day: API requests, distinct signed-in users, server errors (5xx), generation
-- requests created, and synthetic rows delivered (sample_size of the requests that succeeded that day).
create view public.admin_usage_daily with (security_invoker = true) as
  with api as (
    select (l.created_at at time zone 'UTC')::date as day, count(*) as requests,
           count(distinct l.user_id) as users, count(*) filter (where l.status >= 500) as errors
      from public.api_request_logs l
     group by 1
  ),
  created as (
    select (g.created_at at time zone 'UTC')::date as day, count(*) as generation_requests
      from public.generation_requests g
     group by 1
  ),
  delivered as (
    select (g.finished_at at time zone 'UTC')::date as day, sum(g.sample_size)::bigint as rows_generated
      from public.generation_requests g
     where g.status = 'succeeded'
     group by 1
  )
  select day,
         coalesce(api.requests, 0) as requests,
         coalesce(api.users, 0) as users,
         coalesce(api.errors, 0) as errors,
         coalesce(created.generation_requests, 0) as generation_requests,
         coalesce(delivered.rows_generated, 0) as rows_generated
    from api
    full join created using (day)
    full join delivered using (day);

revoke all on public.admin_queue, public.admin_usage_daily from public, anon, authenticated;
grant select on public.admin_queue, public.admin_usage_daily to authenticated;
