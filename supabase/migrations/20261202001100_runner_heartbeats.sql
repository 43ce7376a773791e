-- Training runners report that they are alive: one row per runner process, upserted by the runner (service
-- role) every few seconds while it runs. Admins read it (the system stats, Studio) to see how many runners
-- serve the queue and what they are doing; a runner whose last_seen_at is old is gone (its leases expire and
-- its jobs are reclaimed; the queue row is the truth, this table is only the view of who works on it).
create table public.runner_heartbeats (
  runner_id text primary key check (char_length(runner_id) between 1 and 200),
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  running_jobs integer not null default 0 check (running_jobs >= 0),
  version text check (char_length(version) <= 100),
  details jsonb not null default '{}'::jsonb
    check (jsonb_typeof(details) = 'object' and pg_column_size(details) <= 16384)
);
alter table public.runner_heartbeats enable row level security;
create index runner_heartbeats_last_seen_at_idx on public.runner_heartbeats (last_seen_at desc);

-- Written by runners as the service role (which bypasses RLS); signed-in users may only select, and the
-- policy shows rows to admins alone.
revoke all on table public.runner_heartbeats from public, anon, authenticated;
grant select on table public.runner_heartbeats to authenticated;

create policy "runner_heartbeats: admins read" on public.runner_heartbeats
  for select to authenticated
  using ((select public.is_admin()));
create policy "runner_heartbeats: active accounts only" on public.runner_heartbeats
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
