-- A request to train a model on a dataset and sample a synthetic table: the job queue of the platform.
-- Users create and cancel; everything a runner or an admin decides (status, lease, attempts, progress,
-- results, quality, approval) is out of the user's reach: column privileges keep them out, a trigger keeps
-- the status machine, and approval goes through functions that check is_admin() and log the action.
create table public.generation_requests (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  dataset_id uuid not null,
  model_type text not null check (model_type in ('ctgan', 'tvae', 'gaussian_copula')),
  model_config jsonb not null default '{}'::jsonb
    check (jsonb_typeof(model_config) = 'object' and pg_column_size(model_config) <= 65536),
  optimization_config jsonb
    check (jsonb_typeof(optimization_config) = 'object' and pg_column_size(optimization_config) <= 65536),
  sample_size integer not null check (sample_size between 1 and 100000000),
  output_format text not null default 'csv' check (output_format in ('csv', 'json', 'xlsx', 'parquet')),
  seed bigint check (seed between 0 and 4294967295),
  status text not null default 'queued'
    check (status in ('pending_approval', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'rejected')),
  progress jsonb not null default '{}'::jsonb check (pg_column_size(progress) <= 65536),
  attempts integer not null default 0 check (attempts >= 0),
  max_attempts integer not null default 3 check (max_attempts between 1 and 20),
  run_after timestamptz not null default now(),
  locked_by text check (char_length(locked_by) <= 200),
  locked_until timestamptz,
  cancel_requested boolean not null default false,
  result_paths jsonb check (pg_column_size(result_paths) <= 65536),
  quality_summary jsonb check (pg_column_size(quality_summary) <= 262144),
  error jsonb check (pg_column_size(error) <= 65536),
  approved_by uuid references auth.users (id) on delete set null,
  approved_at timestamptz,
  rejected_by uuid references auth.users (id) on delete set null,
  rejected_at timestamptz,
  decision_reason text check (char_length(decision_reason) <= 2000),
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A request can only name a dataset of its own owner, whatever RLS lets the inserter see.
  constraint generation_requests_dataset_same_owner foreign key (dataset_id, owner_id)
    references public.datasets (id, owner_id) on delete cascade,
  constraint generation_requests_lease_pair check ((locked_by is null) = (locked_until is null))
);
alter table public.generation_requests enable row level security;
create index generation_requests_owner_id_idx on public.generation_requests (owner_id, created_at desc);
create index generation_requests_dataset_id_idx on public.generation_requests (dataset_id);
create index generation_requests_claimable_idx on public.generation_requests (run_after) where status = 'queued';
create index generation_requests_leased_idx on public.generation_requests (locked_until) where status = 'running';
create index generation_requests_pending_approval_idx on public.generation_requests (created_at)
  where status = 'pending_approval';

create trigger generation_requests_updated_at before update on public.generation_requests
  for each row execute function public.set_updated_at();
create trigger generation_requests_status_transition before update on public.generation_requests
  for each row execute function public.enforce_status_transition(
    'pending_approval>queued', 'pending_approval>rejected', 'pending_approval>canceled',
    'queued>running', 'queued>canceled', 'queued>failed',
    'running>succeeded', 'running>failed', 'running>canceled', 'running>queued');

-- On insert: the platform's limits, and whether the request waits for approval. Runs as the inserting
-- user, reading settings through security-definer helpers.
create or replace function public.generation_requests_before_insert() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  active integer;
  max_active bigint := public.setting_bigint('max_active_jobs_per_user', 5);
  max_rows bigint := public.setting_bigint('max_sample_size', 1000000);
  max_epochs bigint := public.setting_bigint('max_epochs', 2000);
begin
  if new.sample_size > max_rows then
    raise exception 'sample_size % exceeds the platform limit of % rows', new.sample_size, max_rows
      using errcode = 'check_violation';
  end if;
  if coalesce((new.model_config ->> 'epochs')::numeric, 0) > max_epochs then
    raise exception 'epochs % exceeds the platform limit of %', new.model_config ->> 'epochs', max_epochs
      using errcode = 'check_violation';
  end if;
  select count(*) into active from public.generation_requests
   where owner_id = new.owner_id and status in ('pending_approval', 'queued', 'running');
  if active >= max_active then
    raise exception 'at most % active generation requests per user', max_active
      using errcode = 'check_violation';
  end if;
  new.max_attempts := public.setting_bigint('job_max_attempts', 3);
  new.status := case when public.setting_bool('generation_requires_approval', false)
                     then 'pending_approval' else 'queued' end;
  return new;
end
$$;
create trigger generation_requests_before_insert before insert on public.generation_requests
  for each row execute function public.generation_requests_before_insert();

create trigger generation_requests_cancel before update of cancel_requested on public.generation_requests
  for each row execute function public.handle_cancel_request();
create trigger generation_requests_status_times before update on public.generation_requests
  for each row execute function public.job_status_times();

create trigger generation_requests_wake_runner after insert or update of status on public.generation_requests
  for each row execute function public.wake_runner_on_status('generation', 'queued');

revoke all on table public.generation_requests from anon, authenticated;
grant select on table public.generation_requests to authenticated;
grant insert (owner_id, dataset_id, model_type, model_config, optimization_config, sample_size, output_format, seed)
  on table public.generation_requests to authenticated;
grant update (cancel_requested) on table public.generation_requests to authenticated;

create policy "generation_requests: owner or admin reads" on public.generation_requests
  for select to authenticated
  using (owner_id = (select auth.uid()) or (select public.is_admin()));
create policy "generation_requests: owner creates" on public.generation_requests
  for insert to authenticated
  with check (owner_id = (select auth.uid()));
create policy "generation_requests: owner cancels" on public.generation_requests
  for update to authenticated
  using (owner_id = (select auth.uid()))
  with check (owner_id = (select auth.uid()));

-- Approval and rejection: admin-only, atomic with their log line.
create or replace function public.decide_generation_request(request_id uuid, approve boolean, reason text default null)
returns public.generation_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.generation_requests;
begin
  if not public.is_admin() then
    raise exception 'only an admin may approve or reject generation requests' using errcode = 'insufficient_privilege';
  end if;
  if reason is not null and char_length(reason) > 2000 then
    raise exception 'reason is longer than 2000 characters' using errcode = 'check_violation';
  end if;
  update public.generation_requests
     set status = case when approve then 'queued' else 'rejected' end,
         approved_by = case when approve then auth.uid() end,
         approved_at = case when approve then now() end,
         rejected_by = case when approve then null else auth.uid() end,
         rejected_at = case when approve then null else now() end,
         decision_reason = reason
   where id = request_id and status = 'pending_approval'
  returning * into result;
  if result.id is null then
    raise exception 'generation request % is not waiting for approval', request_id using errcode = 'no_data_found';
  end if;
  insert into public.admin_action_logs (admin_id, action, target_table, target_id, reason)
  values (auth.uid(), case when approve then 'approve_generation' else 'reject_generation' end,
          'generation_requests', request_id::text, reason);
  return result;
end
$$;
revoke all on function public.decide_generation_request(uuid, boolean, text) from public, anon;
grant execute on function public.decide_generation_request(uuid, boolean, text) to authenticated, service_role;
