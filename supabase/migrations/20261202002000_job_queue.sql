-- The job queue's steps, one function each (graphile-worker style), called by the training runner as the
-- service role. Two kinds of job share them:
--   'generation'  generation_requests: queued > running > succeeded | failed | canceled, back to queued on retry
--   'dataset'     validation and profiling of datasets: uploaded > validating > ready | invalid, back to
--                 uploaded on retry
--
-- Rules every function keeps (DESIGN.md convention 8):
--   * A job is claimed with `for update skip locked`, so concurrent runners never wait on, nor share, a job.
--   * Every step after the claim acts only `where locked_by = worker_id` and while the row is running
--     (validating): a runner that lost its lease (reclaimed after it expired, then claimed by another) is
--     told so (zero rows, false or null) and changes nothing, so it cannot overwrite another's result.
--   * Backoff is computed here (job_retry_delay), not by the runner.
--   * Expired leases are reclaimed by the next claim (and by reclaim_expired_leases() on its own).
--
-- Security invoker: the service role bypasses RLS and holds the table grants, so nothing needs definer
-- rights; execute is revoked from everyone else (the default privileges of public grant it to anon and
-- authenticated), so no signed-in user can claim, complete or fail a job.
--
-- The status triggers already allow every transition used here (running>queued, queued>failed,
-- validating>uploaded ...): none is replaced. job_status_times() sets started_at on the first claim (kept
-- on retries: it is when the job first started) and finished_at, and clears the lease of a finished
-- generation; datasets have no such trigger, so their lease is cleared here.

-- Validation jobs have no max_attempts column: a fixed budget, the default of job_max_attempts.
create or replace function public.dataset_max_attempts() returns integer
language sql immutable
set search_path = ''
as $$ select 3 $$;

-- Delay before a failed attempt is retried: 10 s doubled per attempt, capped at an hour, then spread by
-- +-20 % so that jobs failing together (a Storage outage) do not all come back in the same second. The
-- spread is a hash of job and attempt, not random(): the same job and attempt always get the same delay,
-- which tests can assert and an operator can predict.
create or replace function public.job_retry_delay(job_id uuid, attempt integer) returns interval
language sql immutable
set search_path = ''
as $$
  select make_interval(secs =>
    least(3600, 10 * power(2, greatest(coalesce(attempt, 1), 1) - 1))::double precision
    * (0.8 + 0.4 * ((hashtext(job_id::text || ':' || coalesce(attempt, 1)::text) & 2147483647) % 10001) / 10000.0))
$$;

-- Arguments every step checks: a known kind, a runner id that fits locked_by, a sane lease.
create or replace function public.job_queue_check_args(kind text, worker_id text, lease_seconds integer default 60)
returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if kind is null or kind not in ('generation', 'dataset') then
    raise exception 'unknown job kind %: generation or dataset', coalesce(kind, 'null')
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

-- progress, results and error are JSON objects. A JSON *string* holding one is the classic client slip
-- (postgres.js serialises a jsonb parameter with JSON.stringify, so a pre-stringified value arrives
-- encoded twice): refused with a message that says how to pass it.
create or replace function public.job_queue_check_object(name text, value jsonb) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if value is null or jsonb_typeof(value) <> 'object' then
    raise exception '% must be a JSON object, got %', name, coalesce(jsonb_typeof(value), 'null')
      using errcode = 'invalid_parameter_value',
            hint = case when jsonb_typeof(value) = 'string'
                        then 'the value was JSON-encoded twice: pass the object itself, or the JSON text cast with ::text::jsonb'
                   end;
  end if;
end
$$;

-- Jobs the runner reports as failed carry the platform's error shape ({code, message, details?}): the API
-- and notifications show them to the owner.
create or replace function public.job_queue_check_error(error jsonb) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  perform public.job_queue_check_object('error', error);
  if jsonb_typeof(error -> 'code') is distinct from 'string'
     or jsonb_typeof(error -> 'message') is distinct from 'string' then
    raise exception 'error must be an object with a string code and message' using errcode = 'invalid_parameter_value';
  end if;
end
$$;

-- A lease whose runner stopped renewing it (crashed, partitioned, paused) expires; its job goes back to the
-- queue for another runner, or ends when it has used its attempts (the attempt counted at the claim) or
-- when its owner asked for a cancel meanwhile. Skip locked: a row a live runner is completing right now is
-- left to that runner. Returns how many rows were reclaimed (both kinds).
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
  return n_generations + n_datasets;
end
$$;

-- Claims at most one job for worker_id, of the given kinds, leased for lease_seconds.
--
-- Claimable: a generation that is queued, run_after <= now(), not cancel-requested, on an existing dataset;
-- a dataset that is uploaded (a retried one once job_retry_delay has passed since it went back, measured
-- from updated_at: datasets have no run_after, and an owner's rename meanwhile only delays the retry).
--
-- Fairness: among the owners with claimable jobs, the owner with the fewest jobs running now (generations
-- running plus datasets validating, both hold a runner) goes first; ties go to the owner whose oldest
-- claimable job is oldest; within the owner, the oldest job (run_after, created_at for datasets). So one
-- user's 100 queued jobs take turns with everyone else's instead of starving them, and a single user still
-- gets the whole fleet when alone. The ranking is read without locks; the first candidate that can be
-- locked (skip locked, its claimability re-checked) is taken, so concurrent claims go down the same list
-- and each takes a different job. Only the best 100 candidates are tried: a claim that finds them all
-- taken returns nothing and the runner polls again.
--
-- A queued generation whose dataset was deleted (dataset_id null: the dataset's foreign key sets it null;
-- deletion is refused while a job is active, so only an account erasure in progress or a manual change gets
-- here) can never run: it is failed here with NOT_FOUND rather than handed to a runner, so the owner is told
-- at once and no runner spends an attempt on it.
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
begin
  perform public.job_queue_check_args('generation', claim_job.worker_id, claim_job.lease_seconds);
  if claim_job.kinds is null or cardinality(claim_job.kinds) = 0
     or not (claim_job.kinds <@ array['generation', 'dataset']) then
    raise exception 'kinds must list generation and/or dataset' using errcode = 'invalid_parameter_value';
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
      select 'generation'::text as job_kind, q.id, q.owner_id as job_owner, q.run_after as ready_at
        from public.generation_requests q
       where 'generation' = any (claim_job.kinds)
         and q.status = 'queued' and q.run_after <= now() and not q.cancel_requested and q.dataset_id is not null
      union all
      select 'dataset'::text, q.id, q.owner_id, q.created_at
        from public.datasets q
       where 'dataset' = any (claim_job.kinds)
         and q.status = 'uploaded'
         and (q.attempts = 0 or q.updated_at + public.job_retry_delay(q.id, q.attempts) <= now())
    ),
    owners as (
      select c.job_owner, min(c.ready_at) as oldest,
             (select count(*) from public.generation_requests r where r.owner_id = c.job_owner and r.status = 'running')
             + (select count(*) from public.datasets r where r.owner_id = c.job_owner and r.status = 'validating')
               as running
        from candidates c
       group by c.job_owner
    )
    select c.job_kind, c.id
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
    else
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
    end if;
    if found then
      return;
    end if;
  end loop;
end
$$;

-- Extends the lease of a job this runner holds to now() + lease_seconds and says whether its owner asked
-- for a cancel (datasets cannot be canceled: always false). Zero rows: the lease is lost, stop working.
-- A lease that expired but was not reclaimed yet is still this runner's (nobody else could have claimed the
-- job without reclaiming it first), so it is renewed.
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
  else
    return query
      update public.datasets d
         set locked_until = now() + make_interval(secs => renew_lease.lease_seconds)
       where d.id = renew_lease.job_id and d.locked_by = renew_lease.worker_id and d.status = 'validating'
      returning d.locked_until, false;
  end if;
end
$$;

-- Writes a generation's progress (a JSON object: epoch, losses, ETA ...) for Realtime subscribers, only for
-- the lease holder, and says whether a cancel was requested. The lease is not extended (renew_lease does
-- that), so a runner that reports but never renews still loses its job. Datasets have no progress column:
-- for them the call only checks the lease. Zero rows: the lease is lost.
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
  else
    return query
      select false from public.datasets d
       where d.id = report_progress.job_id and d.locked_by = report_progress.worker_id and d.status = 'validating';
  end if;
end
$$;

-- Records a finished job's results, only for the lease holder; false when the lease is lost (nothing is
-- written).
--   generation: results {result_paths: object, quality_summary?: object} > succeeded, error cleared,
--               progress kept (the last epoch stays visible).
--   dataset:    results {row_count, column_count, profile: object, column_metadata?: object, sha256?,
--               size_bytes?} > ready, error cleared. column_metadata is the owner's override of inference:
--               the inferred metadata is stored only when the owner gave none (as the API does for small
--               files), after the status left 'validating' (the metadata guard refuses edits during it).
-- A cancel requested before completion wins: the job ends canceled, the results are not recorded (the
-- owner asked not to have them) and false is returned; the runner should delete what it uploaded.
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

-- Records a failed attempt, only for the lease holder, and returns the row's new status (null: the lease is
-- lost, nothing written). error is the platform's error object {code, message, details?}.
--   retryable and attempts left  > 'queued' (datasets: 'uploaded') after job_retry_delay(job, attempts),
--                                  lease cleared, error kept as the last attempt's
--   otherwise                    > 'failed' (datasets: 'invalid') with the error
--   cancel requested meanwhile   > 'canceled' (the failure is moot: the owner no longer wants the job)
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

-- The runner acknowledges its owner's cancel of a job it holds: running > canceled (results not recorded).
-- Only when a cancel was requested (a runner that gives up for another reason uses fail_job), and a cancel
-- cannot be withdrawn, so after renew_lease or report_progress said cancel_requested, false means the lease
-- is lost. Datasets cannot be canceled (an error).
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
  update public.generation_requests g
     set status = 'canceled'
   where g.id = cancel_job.job_id and g.locked_by = cancel_job.worker_id and g.status = 'running'
     and g.cancel_requested;
  return found;
end
$$;

-- A runner says it is alive: upserts its row of runner_heartbeats (last_seen_at = now(); started_at stays
-- that of the first beat of this runner id).
create or replace function public.runner_heartbeat(runner_id text, running_jobs integer, version text, details jsonb)
returns void
language sql
security invoker
set search_path = ''
as $$
  insert into public.runner_heartbeats as h (runner_id, last_seen_at, running_jobs, version, details)
  values (runner_heartbeat.runner_id, now(), coalesce(runner_heartbeat.running_jobs, 0), runner_heartbeat.version,
          coalesce(runner_heartbeat.details, '{}'::jsonb))
  on conflict on constraint runner_heartbeats_pkey do update
     set last_seen_at = excluded.last_seen_at,
         running_jobs = excluded.running_jobs,
         version = excluded.version,
         details = excluded.details
$$;

revoke all on function public.dataset_max_attempts(), public.job_retry_delay(uuid, integer),
  public.job_queue_check_args(text, text, integer), public.job_queue_check_object(text, jsonb),
  public.job_queue_check_error(jsonb),
  public.reclaim_expired_leases(), public.claim_job(text, text[], integer),
  public.renew_lease(text, uuid, text, integer), public.report_progress(text, uuid, text, jsonb),
  public.complete_job(text, uuid, text, jsonb), public.fail_job(text, uuid, text, jsonb, boolean),
  public.cancel_job(text, uuid, text), public.runner_heartbeat(text, integer, text, jsonb)
  from public, anon, authenticated;
grant execute on function public.dataset_max_attempts(), public.job_retry_delay(uuid, integer),
  public.job_queue_check_args(text, text, integer), public.job_queue_check_object(text, jsonb),
  public.job_queue_check_error(jsonb),
  public.reclaim_expired_leases(), public.claim_job(text, text[], integer),
  public.renew_lease(text, uuid, text, integer), public.report_progress(text, uuid, text, jsonb),
  public.complete_job(text, uuid, text, jsonb), public.fail_job(text, uuid, text, jsonb, boolean),
  public.cancel_job(text, uuid, text), public.runner_heartbeat(text, integer, text, jsonb)
  to service_role;

comment on function public.dataset_max_attempts() is
  'How many times a dataset validation is claimed before a retryable failure or a lost lease makes it invalid (3).';
comment on function public.job_retry_delay(uuid, integer) is
  'Backoff before retrying a job after its attempt-th failure: least(3600, 10 * 2^(attempt-1)) seconds, spread +-20 % by a hash of job and attempt (deterministic).';
comment on function public.job_queue_check_args(text, text, integer) is
  'Queue functions'' argument check: kind generation or dataset, worker_id of 1 to 200 characters, lease_seconds between 1 and 86400 (SQLSTATE 22023 otherwise).';
comment on function public.job_queue_check_object(text, jsonb) is
  'Queue functions'' check that progress, results or error is a JSON object (SQLSTATE 22023 otherwise, with a hint when it was JSON-encoded twice).';
comment on function public.job_queue_check_error(jsonb) is
  'Queue functions'' check that a failure is reported as the platform''s error object {code, message, details?} (SQLSTATE 22023 otherwise).';
comment on function public.reclaim_expired_leases() is
  'Runner: puts jobs whose lease expired back in the queue (generations queued, datasets uploaded), or ends them (failed / invalid with LEASE_LOST after their last attempt, canceled when a cancel was requested). Returns how many rows changed.';
comment on function public.claim_job(text, text[], integer) is
  'Runner: reclaims expired leases, then claims at most one job of the given kinds (generation, dataset) for worker_id with a lease of lease_seconds (skip locked; fewest running jobs per owner first, then oldest). Zero rows when nothing is claimable. Fails queued generations whose dataset was deleted (NOT_FOUND).';
comment on function public.renew_lease(text, uuid, text, integer) is
  'Runner: extends the lease worker_id holds on a running job and returns the new locked_until and cancel_requested; zero rows when the lease is lost.';
comment on function public.report_progress(text, uuid, text, jsonb) is
  'Runner: writes a running generation''s progress (lease holder only, the lease is not extended) and returns cancel_requested; zero rows when the lease is lost.';
comment on function public.complete_job(text, uuid, text, jsonb) is
  'Runner: records the results of a job worker_id holds (generation > succeeded, dataset > ready); false when the lease is lost, or when a cancel was requested (the job ends canceled, results not recorded).';
comment on function public.fail_job(text, uuid, text, jsonb, boolean) is
  'Runner: records a failed attempt of a job worker_id holds and returns the new status: queued / uploaded (retryable, attempts left, after job_retry_delay), failed / invalid, or canceled when a cancel was requested; null when the lease is lost.';
comment on function public.cancel_job(text, uuid, text) is
  'Runner: acknowledges a requested cancel of a generation worker_id holds (running > canceled); false when no cancel was requested or the lease is lost.';
comment on function public.runner_heartbeat(text, integer, text, jsonb) is
  'Runner: upserts its row of runner_heartbeats (last_seen_at now, running jobs, version, details).';
