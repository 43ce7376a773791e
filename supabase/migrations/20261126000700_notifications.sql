-- In-app notifications (streamed through Realtime) and the push tokens of users' devices.
create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null check (kind in (
    'generation_succeeded', 'generation_failed', 'generation_canceled', 'generation_approved',
    'generation_rejected', 'optimization_succeeded', 'optimization_failed', 'dataset_ready', 'dataset_invalid',
    'system')),
  title text not null check (char_length(title) between 1 and 200),
  body text check (char_length(body) <= 2000),
  data jsonb not null default '{}'::jsonb check (pg_column_size(data) <= 16384),
  read_at timestamptz,
  pushed_at timestamptz,
  created_at timestamptz not null default now()
);
alter table public.notifications enable row level security;
create index notifications_user_id_idx on public.notifications (user_id, created_at desc);
create index notifications_unpushed_idx on public.notifications (created_at) where pushed_at is null;

revoke all on table public.notifications from anon, authenticated;
grant select, delete on table public.notifications to authenticated;
grant update (read_at) on table public.notifications to authenticated;

create policy "notifications: recipient reads" on public.notifications
  for select to authenticated
  using (user_id = (select auth.uid()));
create policy "notifications: recipient marks read" on public.notifications
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "notifications: recipient deletes" on public.notifications
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- A job's outcome reaches its owner as a notification written in the same transaction as the status.
create or replace function public.notify_job_outcome() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  subject text := tg_argv[0];
  outcome text;
  title text;
begin
  if new.status is not distinct from old.status then
    return null;
  end if;
  outcome := case
    when new.status in ('succeeded', 'failed', 'canceled', 'rejected') then new.status
    when new.status = 'queued' and old.status = 'pending_approval' then 'approved'
    when new.status in ('ready', 'invalid') then new.status
  end;
  if outcome is null or (subject = 'optimization' and outcome not in ('succeeded', 'failed')) then
    return null;
  end if;
  title := case subject
    when 'generation' then 'Synthetic data generation ' || outcome
    when 'optimization' then 'Hyperparameter optimisation ' || outcome
    else 'Dataset ' || case outcome when 'ready' then 'is ready' else 'is invalid' end
  end;
  insert into public.notifications (user_id, kind, title, data)
  values (new.owner_id, subject || '_' || outcome, title,
          jsonb_build_object('id', new.id, 'status', new.status));
  return null;
end
$$;
revoke all on function public.notify_job_outcome() from public, anon, authenticated;

create trigger generation_requests_notify after update of status on public.generation_requests
  for each row execute function public.notify_job_outcome('generation');
create trigger optimization_runs_notify after update of status on public.optimization_runs
  for each row execute function public.notify_job_outcome('optimization');
create trigger datasets_notify after update of status on public.datasets
  for each row execute function public.notify_job_outcome('dataset');

create table public.push_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  token text not null unique check (char_length(token) between 1 and 4096),
  platform text not null check (platform in ('ios', 'android', 'web')),
  device_name text check (char_length(device_name) <= 200),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);
alter table public.push_tokens enable row level security;
create index push_tokens_user_id_idx on public.push_tokens (user_id);

revoke all on table public.push_tokens from anon, authenticated;
grant select, delete on table public.push_tokens to authenticated;
grant insert (user_id, token, platform, device_name) on table public.push_tokens to authenticated;
grant update (device_name, last_seen_at) on table public.push_tokens to authenticated;

create policy "push_tokens: owner reads" on public.push_tokens
  for select to authenticated
  using (user_id = (select auth.uid()));
create policy "push_tokens: owner registers" on public.push_tokens
  for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "push_tokens: owner updates" on public.push_tokens
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "push_tokens: owner deletes" on public.push_tokens
  for delete to authenticated
  using (user_id = (select auth.uid()));
