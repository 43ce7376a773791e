-- Hyperparameter optimisation on the job queue: trials of optimization_trials become a third job kind,
-- 'optimization_trial', claimed, leased, renewed, completed, failed and canceled by the same functions as
-- generations and datasets (create or replace of 20261202002000's functions: every rule stated there holds
-- for trials too).
--
-- The design of a study on the platform:
--   * The run (optimization_runs) is not a job of its own: it never holds a runner. Its trials do. A run
--     keeps at most `parallelism` trials queued or running at once; every runner that claims one works on
--     the same study, so N runners evaluate N trials of one study in parallel.
--   * Proposals are made in TypeScript (shared/tuning: grid, random, GP Bayesian), by
--     shared/platform/optimization-study.ts proposeTrials(), always in one transaction that first locks the
--     run row (select ... for update): proposers are serialised per study, and each one reads every trial
--     (finished ones with their value, pending ones without) and asks shared/tuning's ask(n), whose constant
--     liar (skopt's cl_min) tells the pending points the lowest value seen, so parallel trials do not test
--     the same point. The optimiser's whole state is the trial list (fromTrials), so whichever runner
--     proposes next proposes what one process would have.
--   * Who proposes: the API once at POST /optimization/start (the first `parallelism` trials); the runner
--     that finished (or failed, or canceled) a trial, right after complete_job; and every runner's poll
--     sweep for any active run with no trial in flight (a proposer that crashed, an API that died between
--     inserting the run and proposing). Proposing is idempotent: it queues only what is missing.
--   * Budget: no new trial once budget.max_trials trials exist or budget.max_wall_time_seconds have passed
--     since the run started; when nothing is in flight and nothing can be proposed, the proposer finishes
--     the run: succeeded with best_trial_id / best_params / best_score (kept up to date after every trial)
--     and the Pareto front of quality, fit time and privacy in `pareto`.
--   * A trial is never run twice at once and never recorded twice: claim is `for update skip locked`, every
--     later step acts only for the lease holder while the trial is running, and the status machine
--     (queued > running > succeeded | failed | canceled, running > queued only on a retry) forbids
--     recording a finished trial again. A trial whose runner died is reclaimed like any job (another
--     attempt, at most trial_max_attempts()); complete_job stamps metrics.runner_id with the lease holder.
--   * Stop: the owner sets the run's cancel_requested (PUT /optimization/stop/{id}); the trigger below
--     cancels the queued trials at once, sets cancel_requested on the running ones, which their runners see
--     through renew_lease / report_progress and abort (the runner's cancel path, cancel_job), and cancels
--     the run at once when no trial is running, else the proposer does when the last one has stopped.
--     The best trial so far stays on the run.
--   * Pruning (median rule): not done. Synthesizer.fit reports losses per epoch, not a holdout quality; an
--     intermediate quality needs a sample from the half-trained model, which fit does not expose, so a
--     trial records pruned = false (as the CLI does).
--   * The trial claim locks the run row before the trial (a study's claims and its cancel trigger take the
--     two locks in the same order, so they cannot deadlock) and moves a queued run to running.

alter table public.optimization_runs
  add column objective jsonb not null default '{}'::jsonb
    check (jsonb_typeof(objective) = 'object' and pg_column_size(objective) <= 4096),
  add column parallelism integer not null default 4 check (parallelism between 1 and 64),
  add column pareto jsonb check (jsonb_typeof(pareto) = 'array' and pg_column_size(pareto) <= 262144);
grant insert (objective, parallelism) on table public.optimization_runs to authenticated;

alter table public.optimization_trials
  add column proposal jsonb check (jsonb_typeof(proposal) = 'object' and pg_column_size(proposal) <= 262144);

comment on column public.optimization_runs.objective is
  'How trials are scored: {kind: quality | ml | mix, weights?, privacy_floor?, target?, cost_aware?} (shared/tuning/objective.ts).';
comment on column public.optimization_runs.parallelism is
  'Most trials of the run queued or running at once (how many runners can work on it together).';
comment on column public.optimization_runs.pareto is
  'The Pareto front of quality, fit time and privacy over the scored trials, written when the run finishes (and kept up to date before).';
comment on column public.optimization_trials.proposal is
  'What proposed the trial (grid, random, lhs, EI, PI, LCB; gp_hedge''s gains and candidates), read by the next proposals.';

-- Search spaces as shared/tuning writes them: learning_rate stands for all the model's learning rates.
create or replace function public.validate_search_space(model_type text, space jsonb) returns text[]
language plpgsql stable
set search_path = ''
as $$
declare
  spec jsonb := public.model_config_spec() -> model_type;
  problems text[] := '{}'::text[];
  entry record;
  item record;
  key_spec jsonb;
  path text;
begin
  if spec is null then
    return array[format('model_type: unknown model %s', coalesce(model_type, 'null'))];
  end if;
  if space is null or jsonb_typeof(space) <> 'object' then
    return array['search_space: must be an object'];
  end if;
  for entry in select e.key, e.value from jsonb_each(space) e order by e.key loop
    path := 'search_space.' || entry.key;
    -- learning_rate: every learning rate of the model at once (shared/tuning/space.ts toModelOptions);
    -- CTGAN's two are checked against generator_lr's spec (discriminator_lr's is the same).
    key_spec := coalesce(spec -> entry.key,
                         case when entry.key = 'learning_rate' then spec -> 'generator_lr' end);
    if key_spec is null then
      problems := problems || format('%s: unknown hyperparameter of %s', path, model_type);
    elsif jsonb_typeof(entry.value) = 'array' then
      if jsonb_array_length(entry.value) not between 1 and public.search_space_max_choices() then
        problems := problems || format('%s: must list between 1 and %s values', path, public.search_space_max_choices());
      else
        for item in select e.value as v, e.ordinality - 1 as i
                      from jsonb_array_elements(entry.value) with ordinality e loop
          problems := problems || public.check_config_value(format('%s[%s]', path, item.i), item.v, key_spec);
        end loop;
      end if;
    elsif jsonb_typeof(entry.value) = 'object' and key_spec ->> 'type' in ('integer', 'number') then
      if exists (select 1 from jsonb_object_keys(entry.value) k where k not in ('min', 'max', 'log')) then
        problems := problems || format('%s: a range has only min, max and log', path);
      elsif not (entry.value ? 'min' and entry.value ? 'max') then
        problems := problems || format('%s: a range needs min and max', path);
      else
        problems := problems
          || public.check_config_value(path || '.min', entry.value -> 'min', key_spec)
          || public.check_config_value(path || '.max', entry.value -> 'max', key_spec);
        if entry.value ? 'log' and jsonb_typeof(entry.value -> 'log') <> 'boolean' then
          problems := problems || (path || '.log: must be true or false');
        end if;
        if cardinality(problems) = 0 then
          if (entry.value ->> 'min')::numeric > (entry.value ->> 'max')::numeric then
            problems := problems || (path || ': min must not exceed max');
          elsif (entry.value ->> 'log')::boolean is true and (entry.value ->> 'min')::numeric <= 0 then
            problems := problems || (path || ': a log range must start above 0');
          end if;
        end if;
      end if;
    else
      problems := problems || format('%s: must be a list of values%s', path,
        case when key_spec ->> 'type' in ('integer', 'number') then ' or a {min, max} range' else '' end);
    end if;
  end loop;
  return problems;
end
$$;

-- How many times a trial is claimed before a retryable failure or a lost lease fails it.
create or replace function public.trial_max_attempts() returns integer
language sql stable
set search_path = ''
as $$ select public.setting_bigint('job_max_attempts', 3)::integer $$;

create or replace function public.job_queue_check_args(kind text, worker_id text, lease_seconds integer default 60)
returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if kind is null or kind not in ('generation', 'dataset', 'optimization_trial') then
    raise exception 'unknown job kind %: generation, dataset or optimization_trial', coalesce(kind, 'null')
      using errcode = 'invalid_parameter_value';
  end if;
  if worker_id is null or char_length(worker_id) not between 1 and 200 then
    raise exception 'worker_id must be 1 to 200 characters' using errcode = 'invalid_parameter_value';
  end if;
  if lease_seconds is null or lease_seconds not between 1 and 86400 then
    raise exception 'lease_seconds must be between 1 and 86400' using errcode = 'invalid_parameter_value';
  end if;
end
$$;

create or replace function public.reclaim_expired_leases() returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  lost constant jsonb := jsonb_build_object('code', 'LEASE_LOST',
    'message', 'the runner stopped renewing its lease before the job finished (it stopped or lost its connection)');
  n_generations integer;
  n_datasets integer;
  n_trials integer;
begin
  update public.generation_requests g
     set status = case when g.cancel_requested then 'canceled'
                       when g.attempts >= g.max_attempts then 'failed'
                       else 'queued' end,
         error = case when g.cancel_requested then g.error else lost end,
         locked_by = null,
         locked_until = null
   where g.id in (select q.id from public.generation_requests q
                   where q.status = 'running' and q.locked_until < now()
                   for update skip locked);
  get diagnostics n_generations = row_count;

  update public.datasets d
     set status = case when d.attempts >= public.dataset_max_attempts() then 'invalid' else 'uploaded' end,
         error = lost,
         locked_by = null,
         locked_until = null
   where d.id in (select q.id from public.datasets q
                   where q.status = 'validating' and q.locked_until < now()
                   for update skip locked);
  get diagnostics n_datasets = row_count;

  update public.optimization_trials t
     set status = case when t.cancel_requested then 'canceled'
                       when t.attempts >= public.trial_max_attempts() then 'failed'
                       else 'queued' end,
         error = case when t.cancel_requested then t.error else lost end,
         locked_by = null,
         locked_until = null
   where t.id in (select q.id from public.optimization_trials q
                   where q.status = 'running' and q.locked_until < now()
                   for update skip locked);
  get diagnostics n_trials = row_count;
  return n_generations + n_datasets + n_trials;
end
$$;

-- As 20261202002000's claim_job, with trials: a trial is claimable when queued, run_after <= now(), not
-- cancel-requested, and its run is queued or running and not cancel-requested (a run pending approval
-- keeps its trials waiting). Trials running count towards their owner's running jobs for fairness.
create or replace function public.claim_job(worker_id text, kinds text[], lease_seconds integer)
returns table (kind text, job_id uuid, owner_id uuid, attempt integer, max_attempts integer, locked_until timestamptz)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  lease interval;
  candidate record;
  run_ok boolean;
  claimed boolean;
begin
  perform public.job_queue_check_args('generation', claim_job.worker_id, claim_job.lease_seconds);
  if claim_job.kinds is null or cardinality(claim_job.kinds) = 0
     or not (claim_job.kinds <@ array['generation', 'dataset', 'optimization_trial']) then
    raise exception 'kinds must list generation, dataset and/or optimization_trial'
      using errcode = 'invalid_parameter_value';
  end if;
  lease := make_interval(secs => claim_job.lease_seconds);

  perform public.reclaim_expired_leases();

  if 'generation' = any (claim_job.kinds) then
    update public.generation_requests g
       set status = 'failed',
           error = jsonb_build_object('code', 'NOT_FOUND', 'message', 'the dataset of this request was deleted')
     where g.id in (select q.id from public.generation_requests q
                     where q.status = 'queued' and q.dataset_id is null
                     for update skip locked);
  end if;

  for candidate in
    with candidates as (
      select 'generation'::text as job_kind, q.id, q.owner_id as job_owner, q.run_after as ready_at,
             null::uuid as run_id
        from public.generation_requests q
       where 'generation' = any (claim_job.kinds)
         and q.status = 'queued' and q.run_after <= now() and not q.cancel_requested and q.dataset_id is not null
      union all
      select 'dataset'::text, q.id, q.owner_id, q.created_at, null::uuid
        from public.datasets q
       where 'dataset' = any (claim_job.kinds)
         and q.status = 'uploaded'
         and (q.attempts = 0 or q.updated_at + public.job_retry_delay(q.id, q.attempts) <= now())
      union all
      select 'optimization_trial'::text, q.id, q.owner_id, q.run_after, q.run_id
        from public.optimization_trials q
        join public.optimization_runs r on r.id = q.run_id
       where 'optimization_trial' = any (claim_job.kinds)
         and q.status = 'queued' and q.run_after <= now() and not q.cancel_requested
         and r.status in ('queued', 'running') and not r.cancel_requested
    ),
    owners as (
      select c.job_owner, min(c.ready_at) as oldest,
             (select count(*) from public.generation_requests r where r.owner_id = c.job_owner and r.status = 'running')
             + (select count(*) from public.datasets r where r.owner_id = c.job_owner and r.status = 'validating')
             + (select count(*) from public.optimization_trials r where r.owner_id = c.job_owner and r.status = 'running')
               as running
        from candidates c
       group by c.job_owner
    )
    select c.job_kind, c.id, c.run_id
      from candidates c join owners o on o.job_owner = c.job_owner
     order by o.running, o.oldest, c.ready_at, c.id
     limit 100
  loop
    if candidate.job_kind = 'generation' then
      return query
        update public.generation_requests g
           set status = 'running',
               locked_by = claim_job.worker_id,
               locked_until = now() + lease,
               attempts = g.attempts + 1
         where g.id = (select q.id from public.generation_requests q
                        where q.id = candidate.id and q.status = 'queued' and q.run_after <= now()
                          and not q.cancel_requested and q.dataset_id is not null
                        for update skip locked)
        returning 'generation'::text, g.id, g.owner_id, g.attempts, g.max_attempts, g.locked_until;
    elsif candidate.job_kind = 'dataset' then
      return query
        update public.datasets d
           set status = 'validating',
               locked_by = claim_job.worker_id,
               locked_until = now() + lease,
               attempts = d.attempts + 1
         where d.id = (select q.id from public.datasets q
                        where q.id = candidate.id and q.status = 'uploaded'
                          and (q.attempts = 0 or q.updated_at + public.job_retry_delay(q.id, q.attempts) <= now())
                        for update skip locked)
        returning 'dataset'::text, d.id, d.owner_id, d.attempts, public.dataset_max_attempts(), d.locked_until;
    else
      claimed := false;
      -- The run first (waiting for a proposer that holds it: proposing is short), then the trial.
      select r.status in ('queued', 'running') and not r.cancel_requested into run_ok
        from public.optimization_runs r where r.id = candidate.run_id
         for update;
      if coalesce(run_ok, false) then
        return query
          update public.optimization_trials t
             set status = 'running',
                 locked_by = claim_job.worker_id,
                 locked_until = now() + lease,
                 attempts = t.attempts + 1
           where t.id = (select q.id from public.optimization_trials q
                          where q.id = candidate.id and q.status = 'queued' and q.run_after <= now()
                            and not q.cancel_requested
                          for update skip locked)
          returning 'optimization_trial'::text, t.id, t.owner_id, t.attempts, public.trial_max_attempts(),
                    t.locked_until;
        claimed := found;
        -- (An UPDATE resets FOUND: the claim's outcome is kept in `claimed`.)
        if claimed then
          update public.optimization_runs r set status = 'running'
           where r.id = candidate.run_id and r.status = 'queued';
        end if;
      end if;
    end if;
    if claimed or (candidate.job_kind <> 'optimization_trial' and found) then
      return;
    end if;
  end loop;
end
$$;

create or replace function public.renew_lease(kind text, job_id uuid, worker_id text, lease_seconds integer)
returns table (locked_until timestamptz, cancel_requested boolean)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform public.job_queue_check_args(renew_lease.kind, renew_lease.worker_id, renew_lease.lease_seconds);
  if renew_lease.kind = 'generation' then
    return query
      update public.generation_requests g
         set locked_until = now() + make_interval(secs => renew_lease.lease_seconds)
       where g.id = renew_lease.job_id and g.locked_by = renew_lease.worker_id and g.status = 'running'
      returning g.locked_until, g.cancel_requested;
  elsif renew_lease.kind = 'optimization_trial' then
    return query
      update public.optimization_trials t
         set locked_until = now() + make_interval(secs => renew_lease.lease_seconds)
       where t.id = renew_lease.job_id and t.locked_by = renew_lease.worker_id and t.status = 'running'
      returning t.locked_until, t.cancel_requested;
  else
    return query
      update public.datasets d
         set locked_until = now() + make_interval(secs => renew_lease.lease_seconds)
       where d.id = renew_lease.job_id and d.locked_by = renew_lease.worker_id and d.status = 'validating'
      returning d.locked_until, false;
  end if;
end
$$;

create or replace function public.report_progress(kind text, job_id uuid, worker_id text, progress jsonb)
returns table (cancel_requested boolean)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform public.job_queue_check_args(report_progress.kind, report_progress.worker_id);
  perform public.job_queue_check_object('progress', report_progress.progress);
  if report_progress.kind = 'generation' then
    return query
      update public.generation_requests g
         set progress = report_progress.progress
       where g.id = report_progress.job_id and g.locked_by = report_progress.worker_id and g.status = 'running'
      returning g.cancel_requested;
  elsif report_progress.kind = 'optimization_trial' then
    return query
      update public.optimization_trials t
         set progress = report_progress.progress
       where t.id = report_progress.job_id and t.locked_by = report_progress.worker_id and t.status = 'running'
      returning t.cancel_requested;
  else
    return query
      select false from public.datasets d
       where d.id = report_progress.job_id and d.locked_by = report_progress.worker_id and d.status = 'validating';
  end if;
end
$$;

create or replace function public.complete_job(kind text, job_id uuid, worker_id text, results jsonb)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  job record;
begin
  perform public.job_queue_check_args(complete_job.kind, complete_job.worker_id);
  perform public.job_queue_check_object('results', complete_job.results);

  if complete_job.kind = 'generation' then
    if jsonb_typeof(complete_job.results -> 'result_paths') is distinct from 'object'
       or coalesce(jsonb_typeof(complete_job.results -> 'quality_summary'), 'null') not in ('object', 'null') then
      raise exception 'generation results need result_paths (an object) and quality_summary (an object or null)'
        using errcode = 'invalid_parameter_value';
    end if;
    select g.id, g.cancel_requested into job from public.generation_requests g
     where g.id = complete_job.job_id and g.locked_by = complete_job.worker_id and g.status = 'running'
       for update;
    if not found then
      return false;
    end if;
    if job.cancel_requested then
      update public.generation_requests g set status = 'canceled' where g.id = job.id;
      return false;
    end if;
    update public.generation_requests g
       set status = 'succeeded',
           result_paths = complete_job.results -> 'result_paths',
           quality_summary = nullif(complete_job.results -> 'quality_summary', 'null'::jsonb),
           error = null
     where g.id = job.id;
    return true;
  end if;

  if complete_job.kind = 'optimization_trial' then
    if coalesce(jsonb_typeof(complete_job.results -> 'score'), 'null') not in ('number', 'null')
       or jsonb_typeof(complete_job.results -> 'metrics') is distinct from 'object'
       or coalesce(jsonb_typeof(complete_job.results -> 'duration_ms'), 'null') not in ('number', 'null') then
      raise exception 'trial results need metrics (an object), score (a number or null) and duration_ms (a number or null)'
        using errcode = 'invalid_parameter_value';
    end if;
    select t.id, t.cancel_requested into job from public.optimization_trials t
     where t.id = complete_job.job_id and t.locked_by = complete_job.worker_id and t.status = 'running'
       for update;
    if not found then
      return false;
    end if;
    if job.cancel_requested then
      update public.optimization_trials t set status = 'canceled' where t.id = job.id;
      return false;
    end if;
    update public.optimization_trials t
       set status = 'succeeded',
           score = (complete_job.results ->> 'score')::double precision,
           metrics = (complete_job.results -> 'metrics') || jsonb_build_object('runner_id', complete_job.worker_id),
           duration_ms = round((complete_job.results ->> 'duration_ms')::numeric)::integer,
           error = null
     where t.id = job.id;
    return true;
  end if;

  if jsonb_typeof(complete_job.results -> 'row_count') is distinct from 'number'
     or jsonb_typeof(complete_job.results -> 'column_count') is distinct from 'number'
     or jsonb_typeof(complete_job.results -> 'profile') is distinct from 'object'
     or coalesce(jsonb_typeof(complete_job.results -> 'column_metadata'), 'null') not in ('object', 'null')
     or coalesce(jsonb_typeof(complete_job.results -> 'sha256'), 'null') not in ('string', 'null')
     or coalesce(jsonb_typeof(complete_job.results -> 'size_bytes'), 'null') not in ('number', 'null') then
    raise exception 'dataset results need row_count, column_count (numbers) and profile (an object); column_metadata, sha256 and size_bytes are optional'
      using errcode = 'invalid_parameter_value';
  end if;
  update public.datasets d
     set status = 'ready',
         row_count = (complete_job.results ->> 'row_count')::integer,
         column_count = (complete_job.results ->> 'column_count')::integer,
         profile = complete_job.results -> 'profile',
         sha256 = coalesce(complete_job.results ->> 'sha256', d.sha256),
         size_bytes = coalesce((complete_job.results ->> 'size_bytes')::bigint, d.size_bytes),
         error = null,
         locked_by = null,
         locked_until = null
   where d.id = complete_job.job_id and d.locked_by = complete_job.worker_id and d.status = 'validating';
  if not found then
    return false;
  end if;
  if jsonb_typeof(complete_job.results -> 'column_metadata') = 'object' then
    update public.datasets d
       set column_metadata = complete_job.results -> 'column_metadata'
     where d.id = complete_job.job_id and d.column_metadata is null;
  end if;
  return true;
end
$$;

create or replace function public.fail_job(kind text, job_id uuid, worker_id text, error jsonb, retryable boolean)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  job record;
  next_status text;
begin
  perform public.job_queue_check_args(fail_job.kind, fail_job.worker_id);
  perform public.job_queue_check_error(fail_job.error);

  if fail_job.kind = 'generation' then
    select g.id, g.attempts, g.max_attempts, g.cancel_requested into job from public.generation_requests g
     where g.id = fail_job.job_id and g.locked_by = fail_job.worker_id and g.status = 'running'
       for update;
    if not found then
      return null;
    end if;
    next_status := case when job.cancel_requested then 'canceled'
                        when coalesce(fail_job.retryable, false) and job.attempts < job.max_attempts then 'queued'
                        else 'failed' end;
    update public.generation_requests g
       set status = next_status,
           error = case when next_status = 'canceled' then g.error else fail_job.error end,
           run_after = case when next_status = 'queued' then now() + public.job_retry_delay(job.id, job.attempts)
                            else g.run_after end,
           locked_by = null,
           locked_until = null
     where g.id = job.id;
    return next_status;
  end if;

  if fail_job.kind = 'optimization_trial' then
    select t.id, t.attempts, t.cancel_requested into job from public.optimization_trials t
     where t.id = fail_job.job_id and t.locked_by = fail_job.worker_id and t.status = 'running'
       for update;
    if not found then
      return null;
    end if;
    next_status := case when job.cancel_requested then 'canceled'
                        when coalesce(fail_job.retryable, false) and job.attempts < public.trial_max_attempts() then 'queued'
                        else 'failed' end;
    update public.optimization_trials t
       set status = next_status,
           error = case when next_status = 'canceled' then t.error else fail_job.error end,
           run_after = case when next_status = 'queued' then now() + public.job_retry_delay(job.id, job.attempts)
                            else t.run_after end,
           locked_by = null,
           locked_until = null
     where t.id = job.id;
    return next_status;
  end if;

  select d.id, d.attempts into job from public.datasets d
   where d.id = fail_job.job_id and d.locked_by = fail_job.worker_id and d.status = 'validating'
     for update;
  if not found then
    return null;
  end if;
  next_status := case when coalesce(fail_job.retryable, false) and job.attempts < public.dataset_max_attempts()
                      then 'uploaded' else 'invalid' end;
  update public.datasets d
     set status = next_status, error = fail_job.error, locked_by = null, locked_until = null
   where d.id = job.id;
  return next_status;
end
$$;

create or replace function public.cancel_job(kind text, job_id uuid, worker_id text) returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform public.job_queue_check_args(cancel_job.kind, cancel_job.worker_id);
  if cancel_job.kind = 'dataset' then
    raise exception 'dataset validation cannot be canceled' using errcode = 'invalid_parameter_value';
  end if;
  if cancel_job.kind = 'optimization_trial' then
    update public.optimization_trials t
       set status = 'canceled'
     where t.id = cancel_job.job_id and t.locked_by = cancel_job.worker_id and t.status = 'running'
       and t.cancel_requested;
    return found;
  end if;
  update public.generation_requests g
     set status = 'canceled'
   where g.id = cancel_job.job_id and g.locked_by = cancel_job.worker_id and g.status = 'running'
     and g.cancel_requested;
  return found;
end
$$;

-- The owner's stop (cancel_requested on the run) reaches its trials: queued ones are canceled, running ones
-- asked to stop (their runners see it at the next renewal or progress write and call cancel_job), and a
-- run with no trial running is canceled at once (one that has running trials is canceled by the proposer
-- once they have stopped). Security definer: the owner may not write trials themselves; this does only
-- the stop they asked for, of their own run's trials.
create or replace function public.optimization_run_stop_trials() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.cancel_requested and not old.cancel_requested then
    update public.optimization_trials t set status = 'canceled'
     where t.run_id = new.id and t.status = 'queued';
    update public.optimization_trials t set cancel_requested = true
     where t.run_id = new.id and t.status = 'running' and not t.cancel_requested;
    if new.status = 'running' and not exists (select 1 from public.optimization_trials t
                                               where t.run_id = new.id and t.status = 'running') then
      update public.optimization_runs r set status = 'canceled' where r.id = new.id and r.status = 'running';
    end if;
  end if;
  return null;
end
$$;
create trigger optimization_runs_stop_trials after update of cancel_requested on public.optimization_runs
  for each row execute function public.optimization_run_stop_trials();

revoke all on function public.trial_max_attempts(), public.optimization_run_stop_trials()
  from public, anon, authenticated;
grant execute on function public.trial_max_attempts() to service_role;

comment on function public.trial_max_attempts() is
  'How many times an optimisation trial is claimed before a retryable failure or a lost lease fails it (the job_max_attempts setting, default 3).';
comment on function public.optimization_run_stop_trials() is
  'Trigger: when an optimisation run''s cancel is requested, cancels its queued trials, asks its running trials to stop, and cancels the run at once when none is running.';
comment on function public.validate_search_space(text, jsonb) is
  'Problems of an optimisation search space against the model''s spec: per hyperparameter (learning_rate standing for all the model''s learning rates) a list of values or a {min, max, log} range; empty when valid.';
comment on function public.job_queue_check_args(text, text, integer) is
  'Queue functions'' argument check: kind generation, dataset or optimization_trial, worker_id of 1 to 200 characters, lease_seconds between 1 and 86400 (SQLSTATE 22023 otherwise).';
comment on function public.reclaim_expired_leases() is
  'Runner: puts jobs whose lease expired back in the queue (generations and trials queued, datasets uploaded), or ends them (failed / invalid with LEASE_LOST after their last attempt, canceled when a cancel was requested). Returns how many rows changed.';
comment on function public.claim_job(text, text[], integer) is
  'Runner: reclaims expired leases, then claims at most one job of the given kinds (generation, dataset, optimization_trial) for worker_id with a lease of lease_seconds (skip locked; fewest running jobs per owner first, then oldest). A trial claim moves its run from queued to running. Zero rows when nothing is claimable.';
comment on function public.renew_lease(text, uuid, text, integer) is
  'Runner: extends the lease worker_id holds on a running job (generation, dataset, trial) and returns the new locked_until and cancel_requested; zero rows when the lease is lost.';
comment on function public.report_progress(text, uuid, text, jsonb) is
  'Runner: writes a running generation''s or trial''s progress (lease holder only, the lease is not extended) and returns cancel_requested; zero rows when the lease is lost.';
comment on function public.complete_job(text, uuid, text, jsonb) is
  'Runner: records the results of a job worker_id holds (generation > succeeded, dataset > ready, trial > succeeded with score, metrics stamped with runner_id, duration_ms); false when the lease is lost, or when a cancel was requested (the job ends canceled, results not recorded).';
comment on function public.fail_job(text, uuid, text, jsonb, boolean) is
  'Runner: records a failed attempt of a job worker_id holds and returns the new status: queued / uploaded (retryable, attempts left, after job_retry_delay), failed / invalid, or canceled when a cancel was requested; null when the lease is lost.';
comment on function public.cancel_job(text, uuid, text) is
  'Runner: acknowledges a requested cancel of a generation or trial worker_id holds (running > canceled); false when no cancel was requested or the lease is lost.';
