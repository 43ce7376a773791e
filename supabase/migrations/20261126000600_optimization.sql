-- Hyperparameter optimisation: a run searches a space with a method and a budget; each trial is one fit and
-- evaluation, and trials are queue items of their own so several runners can evaluate one run in parallel.
create table public.optimization_runs (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  dataset_id uuid not null,
  generation_request_id uuid references public.generation_requests (id) on delete cascade,
  model_type text not null check (model_type in ('ctgan', 'tvae', 'gaussian_copula')),
  method text not null check (method in ('grid', 'random', 'bayesian')),
  search_space jsonb not null check (jsonb_typeof(search_space) = 'object' and pg_column_size(search_space) <= 65536),
  budget jsonb not null default '{}'::jsonb check (jsonb_typeof(budget) = 'object' and pg_column_size(budget) <= 4096),
  metric text not null default 'quality_overall' check (char_length(metric) between 1 and 100),
  seed bigint check (seed between 0 and 4294967295),
  status text not null default 'queued'
    check (status in ('pending_approval', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'rejected')),
  trials_completed integer not null default 0 check (trials_completed >= 0),
  best_trial_id uuid,
  best_params jsonb check (pg_column_size(best_params) <= 65536),
  best_score double precision,
  attempts integer not null default 0 check (attempts >= 0),
  run_after timestamptz not null default now(),
  locked_by text check (char_length(locked_by) <= 200),
  locked_until timestamptz,
  cancel_requested boolean not null default false,
  error jsonb check (pg_column_size(error) <= 65536),
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint optimization_runs_dataset_same_owner foreign key (dataset_id, owner_id)
    references public.datasets (id, owner_id) on delete cascade,
  constraint optimization_runs_id_owner_unique unique (id, owner_id),
  constraint optimization_runs_lease_pair check ((locked_by is null) = (locked_until is null))
);
alter table public.optimization_runs enable row level security;
create index optimization_runs_owner_id_idx on public.optimization_runs (owner_id, created_at desc);
create index optimization_runs_dataset_id_idx on public.optimization_runs (dataset_id);
create index optimization_runs_generation_request_id_idx on public.optimization_runs (generation_request_id);
create index optimization_runs_claimable_idx on public.optimization_runs (run_after) where status = 'queued';

create trigger optimization_runs_updated_at before update on public.optimization_runs
  for each row execute function public.set_updated_at();
create trigger optimization_runs_cancel before update of cancel_requested on public.optimization_runs
  for each row execute function public.handle_cancel_request();
create trigger optimization_runs_status_times before update on public.optimization_runs
  for each row execute function public.job_status_times();
create trigger optimization_runs_status_transition before update on public.optimization_runs
  for each row execute function public.enforce_status_transition(
    'pending_approval>queued', 'pending_approval>rejected', 'pending_approval>canceled',
    'queued>running', 'queued>canceled', 'queued>failed',
    'running>succeeded', 'running>failed', 'running>canceled', 'running>queued');
create trigger optimization_runs_wake_runner after insert or update of status on public.optimization_runs
  for each row execute function public.wake_runner_on_status('optimization_run', 'queued');

create or replace function public.optimization_runs_before_insert() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  max_trials bigint := public.setting_bigint('max_optimization_trials', 100);
begin
  if coalesce((new.budget ->> 'max_trials')::numeric, 0) > max_trials then
    raise exception 'max_trials % exceeds the platform limit of %', new.budget ->> 'max_trials', max_trials
      using errcode = 'check_violation';
  end if;
  new.status := case when public.setting_bool('generation_requires_approval', false)
                     then 'pending_approval' else 'queued' end;
  return new;
end
$$;
create trigger optimization_runs_before_insert before insert on public.optimization_runs
  for each row execute function public.optimization_runs_before_insert();

revoke all on table public.optimization_runs from anon, authenticated;
grant select on table public.optimization_runs to authenticated;
grant insert (owner_id, dataset_id, generation_request_id, model_type, method, search_space, budget, metric, seed)
  on table public.optimization_runs to authenticated;
grant update (cancel_requested) on table public.optimization_runs to authenticated;

create policy "optimization_runs: owner or admin reads" on public.optimization_runs
  for select to authenticated
  using (owner_id = (select auth.uid()) or (select public.is_admin()));
create policy "optimization_runs: owner creates" on public.optimization_runs
  for insert to authenticated
  with check (
    owner_id = (select auth.uid())
    and (generation_request_id is null or exists (
      select 1 from public.generation_requests g
       where g.id = generation_request_id and g.owner_id = (select auth.uid())))
  );
create policy "optimization_runs: owner cancels" on public.optimization_runs
  for update to authenticated
  using (owner_id = (select auth.uid()))
  with check (owner_id = (select auth.uid()));

-- Trials are created, claimed and scored by runners (service role); owners and admins watch them.
create table public.optimization_trials (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null,
  owner_id uuid not null references auth.users (id) on delete cascade,
  trial_number integer not null check (trial_number >= 0),
  params jsonb not null check (jsonb_typeof(params) = 'object' and pg_column_size(params) <= 65536),
  status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed', 'canceled')),
  score double precision,
  metrics jsonb check (pg_column_size(metrics) <= 262144),
  progress jsonb not null default '{}'::jsonb check (pg_column_size(progress) <= 65536),
  duration_ms integer check (duration_ms >= 0),
  attempts integer not null default 0 check (attempts >= 0),
  run_after timestamptz not null default now(),
  locked_by text check (char_length(locked_by) <= 200),
  locked_until timestamptz,
  cancel_requested boolean not null default false,
  error jsonb check (pg_column_size(error) <= 65536),
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint optimization_trials_run_same_owner foreign key (run_id, owner_id)
    references public.optimization_runs (id, owner_id) on delete cascade,
  constraint optimization_trials_number_unique unique (run_id, trial_number),
  constraint optimization_trials_lease_pair check ((locked_by is null) = (locked_until is null))
);
alter table public.optimization_trials enable row level security;
create index optimization_trials_owner_id_idx on public.optimization_trials (owner_id);
create index optimization_trials_claimable_idx on public.optimization_trials (run_after) where status = 'queued';

alter table public.optimization_runs
  add constraint optimization_runs_best_trial_fk foreign key (best_trial_id)
  references public.optimization_trials (id) on delete set null;
create index optimization_runs_best_trial_id_idx on public.optimization_runs (best_trial_id);

create trigger optimization_trials_updated_at before update on public.optimization_trials
  for each row execute function public.set_updated_at();
create trigger optimization_trials_status_times before update on public.optimization_trials
  for each row execute function public.job_status_times();
create trigger optimization_trials_status_transition before update on public.optimization_trials
  for each row execute function public.enforce_status_transition(
    'queued>running', 'queued>canceled', 'running>succeeded', 'running>failed', 'running>canceled', 'running>queued');
create trigger optimization_trials_wake_runner after insert or update of status on public.optimization_trials
  for each row execute function public.wake_runner_on_status('optimization_trial', 'queued');

revoke all on table public.optimization_trials from anon, authenticated;
grant select on table public.optimization_trials to authenticated;

create policy "optimization_trials: owner or admin reads" on public.optimization_trials
  for select to authenticated
  using (owner_id = (select auth.uid()) or (select public.is_admin()));
