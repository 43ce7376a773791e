-- Platform-wide settings (read by every signed-in user: the limits are theirs to know; written by admins),
-- the append-only admin action log and the API request log.
create table public.platform_settings (
  key text primary key check (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  value jsonb not null check (pg_column_size(value) <= 65536),
  description text check (char_length(description) <= 1000),
  updated_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.platform_settings enable row level security;
create trigger platform_settings_updated_at before update on public.platform_settings
  for each row execute function public.set_updated_at();

insert into public.platform_settings (key, value, description) values
  ('generation_requires_approval', 'false', 'New generation requests wait for an admin to approve them.'),
  ('max_sample_size', '1000000', 'Most synthetic rows one generation request may ask for.'),
  ('max_file_size_mb', '500', 'Largest dataset file accepted, in MiB.'),
  ('max_active_jobs_per_user', '5', 'Generation requests one user may have pending, queued or running at once.'),
  ('max_epochs', '2000', 'Most training epochs one request may ask for.'),
  ('max_optimization_trials', '100', 'Most trials one optimisation run may ask for.'),
  ('job_max_attempts', '3', 'How often a job is retried after its runner died or failed transiently.');

revoke all on table public.platform_settings from anon, authenticated;
grant select on table public.platform_settings to authenticated;
grant update (value, description, updated_by) on table public.platform_settings to authenticated;

create policy "platform_settings: signed-in users read" on public.platform_settings
  for select to authenticated
  using (true);
create policy "platform_settings: admins update" on public.platform_settings
  for update to authenticated
  using ((select public.is_admin()))
  with check ((select public.is_admin()) and updated_by = (select auth.uid()));

-- Typed reads of a setting for triggers and functions (settings are jsonb).
create or replace function public.setting_bigint(setting_key text, fallback bigint) returns bigint
language sql stable
security definer
set search_path = ''
as $$
  select coalesce((select (value #>> '{}')::bigint from public.platform_settings where key = setting_key), fallback)
$$;
create or replace function public.setting_bool(setting_key text, fallback boolean) returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select coalesce((select (value #>> '{}')::boolean from public.platform_settings where key = setting_key), fallback)
$$;
revoke all on function public.setting_bigint(text, bigint), public.setting_bool(text, boolean) from public, anon;
grant execute on function public.setting_bigint(text, bigint), public.setting_bool(text, boolean)
  to authenticated, service_role;

create table public.admin_action_logs (
  id bigint generated always as identity primary key,
  admin_id uuid references auth.users (id) on delete set null,
  action text not null check (char_length(action) between 1 and 100),
  target_table text check (char_length(target_table) <= 100),
  target_id text check (char_length(target_id) <= 200),
  reason text check (char_length(reason) <= 2000),
  details jsonb not null default '{}'::jsonb check (pg_column_size(details) <= 65536),
  created_at timestamptz not null default now()
);
alter table public.admin_action_logs enable row level security;
create index admin_action_logs_admin_id_idx on public.admin_action_logs (admin_id, created_at desc);
create index admin_action_logs_target_idx on public.admin_action_logs (target_table, target_id);
create trigger admin_action_logs_append_only before update or delete on public.admin_action_logs
  for each row execute function public.forbid_change();
create trigger admin_action_logs_no_truncate before truncate on public.admin_action_logs
  for each statement execute function public.forbid_change();

revoke all on table public.admin_action_logs from anon, authenticated;
grant select, insert (admin_id, action, target_table, target_id, reason, details)
  on table public.admin_action_logs to authenticated;

create policy "admin_action_logs: admins read" on public.admin_action_logs
  for select to authenticated
  using ((select public.is_admin()));
create policy "admin_action_logs: admins append as themselves" on public.admin_action_logs
  for insert to authenticated
  with check ((select public.is_admin()) and admin_id = (select auth.uid()));

-- Settings changes are admin actions: log them in the same transaction, so a change without a log line
-- cannot exist.
create or replace function public.platform_settings_log_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.admin_action_logs (admin_id, action, target_table, target_id, details)
  values ((select auth.uid()), 'update_setting', 'platform_settings', new.key,
          jsonb_build_object('from', old.value, 'to', new.value));
  return null;
end
$$;
create trigger platform_settings_log_change after update of value on public.platform_settings
  for each row when (old.value is distinct from new.value)
  execute function public.platform_settings_log_change();

create table public.api_request_logs (
  id bigint generated always as identity primary key,
  request_id text not null check (char_length(request_id) <= 100),
  user_id uuid references auth.users (id) on delete set null,
  method text not null check (method in ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')),
  route text not null check (char_length(route) <= 500),
  status integer not null check (status between 100 and 599),
  duration_ms integer not null check (duration_ms >= 0),
  bytes_in bigint not null default 0 check (bytes_in >= 0),
  bytes_out bigint not null default 0 check (bytes_out >= 0),
  error_code text check (char_length(error_code) <= 100),
  created_at timestamptz not null default now()
);
alter table public.api_request_logs enable row level security;
create index api_request_logs_user_id_idx on public.api_request_logs (user_id, created_at desc);
create index api_request_logs_created_at_idx on public.api_request_logs (created_at);
-- Rows are never rewritten; the service role may delete old ones for retention.
create trigger api_request_logs_append_only before update on public.api_request_logs
  for each row execute function public.forbid_change();

-- Written by the API's named request-logging scope (service role); users read their own lines.
revoke all on table public.api_request_logs from anon, authenticated;
grant select on table public.api_request_logs to authenticated;

create policy "api_request_logs: own lines or admin" on public.api_request_logs
  for select to authenticated
  using (user_id = (select auth.uid()) or (select public.is_admin()));
