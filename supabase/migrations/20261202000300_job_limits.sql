-- Limits a user cannot sidestep.
--
-- Before: only model_config.epochs at the top level was capped (so {"hyperparameters": {"epochs": 1e9}} or
-- a batch_size of 1e12 was queued), optimisation budgets were read from one key (another key carried any
-- trial count), the active-jobs limit ignored optimisation runs, and a job could be queued on a dataset
-- that was not 'ready'.
--
-- Now every user-supplied config is validated as a whole by SQL functions that the insert triggers use
-- and the API can call (the same answer in both places):
--   validate_model_config(model_type, config)         the hyperparameters of one model
--   validate_search_space(model_type, space)          an optimisation search space over them
--   validate_optimization_budget(budget)              trials and wall time
--   validate_optimization_config(model_type, config)  generation_requests.optimization_config
-- Each returns the problems found, each prefixed with its path ('generator_dim[2]: ...'), and an empty
-- array when the value is valid. Unknown keys are refused, numbers are bounded above and below.
--
-- The hyperparameters' names, types and lower bounds are those of the zod schemas in shared/synth
-- (ctganOptionsSchema, tvaeOptionsSchema, copulaOptionsSchema), which are the source of truth;
-- tests/db/hardening.test.ts derives the boundary cases from those schemas (z.toJSONSchema) and fails when
-- this spec and zod disagree. The upper bounds are the platform's (the library itself accepts any size, a
-- shared runner must not): where a platform setting exists it is the cap (maximumSetting), otherwise the
-- constant below.

create or replace function public.model_config_spec() returns jsonb
language sql immutable
set search_path = ''
as $$
  select '{
    "ctgan": {
      "epochs": {"type": "integer", "exclusiveMinimum": 0, "maximum": 100000, "maximumSetting": "max_epochs"},
      "batch_size": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10000},
      "embedding_dim": {"type": "integer", "exclusiveMinimum": 0, "maximum": 1024},
      "generator_dim": {"type": "array", "maxItems": 8,
                        "items": {"type": "integer", "exclusiveMinimum": 0, "maximum": 2048}},
      "discriminator_dim": {"type": "array", "maxItems": 8,
                            "items": {"type": "integer", "exclusiveMinimum": 0, "maximum": 2048}},
      "generator_lr": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
      "generator_decay": {"type": "number", "minimum": 0, "maximum": 1},
      "discriminator_lr": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
      "discriminator_decay": {"type": "number", "minimum": 0, "maximum": 1},
      "discriminator_steps": {"type": "integer", "exclusiveMinimum": 0, "maximum": 20},
      "log_frequency": {"type": "boolean"},
      "pac": {"type": "integer", "exclusiveMinimum": 0, "maximum": 64}
    },
    "tvae": {
      "epochs": {"type": "integer", "exclusiveMinimum": 0, "maximum": 100000, "maximumSetting": "max_epochs"},
      "batch_size": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10000},
      "embedding_dim": {"type": "integer", "exclusiveMinimum": 0, "maximum": 1024},
      "compress_dims": {"type": "array", "maxItems": 8,
                        "items": {"type": "integer", "exclusiveMinimum": 0, "maximum": 2048}},
      "decompress_dims": {"type": "array", "maxItems": 8,
                          "items": {"type": "integer", "exclusiveMinimum": 0, "maximum": 2048}},
      "l2scale": {"type": "number", "minimum": 0, "maximum": 1},
      "loss_factor": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
      "learning_rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
    },
    "gaussian_copula": {
      "enforceRounding": {"type": "boolean"},
      "enforceMinMaxValues": {"type": "boolean"}
    }
  }'::jsonb
$$;

-- Most values one search-space dimension may list (grid and random choices).
create or replace function public.search_space_max_choices() returns integer
language sql immutable
set search_path = ''
as $$ select 100 $$;

-- The upper bound in force for one numeric spec: its platform setting when it names one, else its maximum.
create or replace function public.spec_maximum(spec jsonb) returns numeric
language sql stable
set search_path = ''
as $$
  select case
    when spec ? 'maximumSetting'
      then public.setting_bigint(spec ->> 'maximumSetting', (spec ->> 'maximum')::bigint)::numeric
    else (spec ->> 'maximum')::numeric
  end
$$;

-- One value against one spec entry; problems are prefixed with path.
create or replace function public.check_config_value(path text, value jsonb, spec jsonb) returns text[]
language plpgsql stable
set search_path = ''
as $$
declare
  kind text := spec ->> 'type';
  problems text[] := '{}'::text[];
  n numeric;
  upper_bound numeric;
  item record;
begin
  if kind = 'boolean' then
    if jsonb_typeof(value) <> 'boolean' then
      problems := problems || (path || ': must be true or false');
    end if;
    return problems;
  end if;
  if kind = 'array' then
    if jsonb_typeof(value) <> 'array' then
      return array[path || ': must be an array'];
    end if;
    if jsonb_array_length(value) > (spec ->> 'maxItems')::integer then
      return array[format('%s: must have at most %s items', path, spec ->> 'maxItems')];
    end if;
    for item in select e.value as v, e.ordinality - 1 as i from jsonb_array_elements(value) with ordinality e loop
      problems := problems || public.check_config_value(format('%s[%s]', path, item.i), item.v, spec -> 'items');
    end loop;
    return problems;
  end if;
  -- integer or number
  if jsonb_typeof(value) <> 'number' then
    return array[path || ': must be a number'];
  end if;
  n := (value #>> '{}')::numeric;
  if kind = 'integer' and n <> trunc(n) then
    return array[path || ': must be an integer'];
  end if;
  if spec ? 'minimum' and n < (spec ->> 'minimum')::numeric then
    problems := problems || format('%s: must be at least %s', path, spec ->> 'minimum');
  end if;
  if spec ? 'exclusiveMinimum' and n <= (spec ->> 'exclusiveMinimum')::numeric then
    problems := problems || format('%s: must be greater than %s', path, spec ->> 'exclusiveMinimum');
  end if;
  upper_bound := public.spec_maximum(spec);
  if n > upper_bound then
    problems := problems || format('%s: must be at most %s', path, upper_bound);
  end if;
  return problems;
end
$$;

create or replace function public.validate_model_config(model_type text, config jsonb) returns text[]
language plpgsql stable
set search_path = ''
as $$
declare
  spec jsonb := public.model_config_spec() -> model_type;
  problems text[] := '{}'::text[];
  entry record;
begin
  if spec is null then
    return array[format('model_type: unknown model %s', coalesce(model_type, 'null'))];
  end if;
  if config is null then
    return problems;
  end if;
  if jsonb_typeof(config) <> 'object' then
    return array['model_config: must be an object'];
  end if;
  for entry in select e.key, e.value from jsonb_each(config) e order by e.key loop
    if not spec ? entry.key then
      problems := problems || format('%s: unknown hyperparameter of %s', entry.key, model_type);
    else
      problems := problems || public.check_config_value(entry.key, entry.value, spec -> entry.key);
    end if;
  end loop;
  -- The one rule between two keys: CTGAN packs pac rows per critic input (checked again by fit()). Only
  -- when both are given: the default batch size is fitted to the data by the library.
  if model_type = 'ctgan' and cardinality(problems) = 0 and config ? 'batch_size' and config ? 'pac'
     and (config ->> 'batch_size')::numeric % (config ->> 'pac')::numeric <> 0 then
    problems := problems || format('batch_size: must be a multiple of pac (%s)', config ->> 'pac');
  end if;
  return problems;
end
$$;

-- A search space: per hyperparameter, either a list of 1 to 100 values (each a valid value of it) or a
-- numeric range {"min": a, "max": b, "log": bool} with valid a <= b (and a > 0 when log).
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
    key_spec := spec -> entry.key;
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

-- What one optimisation may spend: trials and wall-clock seconds, both capped by platform settings.
create or replace function public.optimization_budget_spec() returns jsonb
language sql immutable
set search_path = ''
as $$
  select '{
    "max_trials": {"type": "integer", "exclusiveMinimum": 0, "maximum": 1000,
                   "maximumSetting": "max_optimization_trials"},
    "max_wall_time_seconds": {"type": "integer", "exclusiveMinimum": 0, "maximum": 604800,
                              "maximumSetting": "max_optimization_wall_time_seconds"}
  }'::jsonb
$$;

create or replace function public.validate_optimization_budget(budget jsonb) returns text[]
language plpgsql stable
set search_path = ''
as $$
declare
  spec jsonb := public.optimization_budget_spec();
  problems text[] := '{}'::text[];
  entry record;
begin
  if budget is null then
    return problems;
  end if;
  if jsonb_typeof(budget) <> 'object' then
    return array['budget: must be an object'];
  end if;
  for entry in select e.key, e.value from jsonb_each(budget) e order by e.key loop
    if not spec ? entry.key then
      problems := problems || format('budget.%s: unknown budget key (allowed: max_trials, max_wall_time_seconds)', entry.key);
    else
      problems := problems || public.check_config_value('budget.' || entry.key, entry.value, spec -> entry.key);
    end if;
  end loop;
  return problems;
end
$$;

-- A budget with every bound written out: what is not given is the platform's maximum, so a runner always
-- reads an explicit, capped trial count and wall time from the row.
create or replace function public.complete_optimization_budget(budget jsonb) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'max_trials', coalesce(budget -> 'max_trials',
                           to_jsonb(public.spec_maximum(public.optimization_budget_spec() -> 'max_trials'))),
    'max_wall_time_seconds', coalesce(budget -> 'max_wall_time_seconds',
                           to_jsonb(public.spec_maximum(public.optimization_budget_spec() -> 'max_wall_time_seconds'))))
$$;

-- generation_requests.optimization_config: {"method", "search_space", "budget"?, "metric"?}.
create or replace function public.validate_optimization_config(model_type text, config jsonb) returns text[]
language plpgsql stable
set search_path = ''
as $$
declare
  problems text[] := '{}'::text[];
  unknown text;
begin
  if config is null then
    return problems;
  end if;
  if jsonb_typeof(config) <> 'object' then
    return array['optimization_config: must be an object'];
  end if;
  for unknown in select k from jsonb_object_keys(config) k
                  where k not in ('method', 'search_space', 'budget', 'metric') order by k loop
    problems := problems || format('%s: unknown key (allowed: method, search_space, budget, metric)', unknown);
  end loop;
  if not coalesce(config ->> 'method' in ('grid', 'random', 'bayesian') and jsonb_typeof(config -> 'method') = 'string', false) then
    problems := problems || 'method: must be grid, random or bayesian'::text;
  end if;
  if config ? 'metric' and not coalesce(jsonb_typeof(config -> 'metric') = 'string'
                                        and char_length(config ->> 'metric') between 1 and 100, false) then
    problems := problems || 'metric: must be a name of 1 to 100 characters'::text;
  end if;
  problems := problems || public.validate_search_space(model_type, config -> 'search_space');
  problems := problems || public.validate_optimization_budget(config -> 'budget');
  return problems;
end
$$;

revoke all on function public.model_config_spec(), public.search_space_max_choices(), public.spec_maximum(jsonb),
  public.check_config_value(text, jsonb, jsonb), public.validate_model_config(text, jsonb),
  public.validate_search_space(text, jsonb), public.optimization_budget_spec(),
  public.validate_optimization_budget(jsonb), public.complete_optimization_budget(jsonb),
  public.validate_optimization_config(text, jsonb)
  from public, anon;
grant execute on function public.model_config_spec(), public.search_space_max_choices(), public.spec_maximum(jsonb),
  public.check_config_value(text, jsonb, jsonb), public.validate_model_config(text, jsonb),
  public.validate_search_space(text, jsonb), public.optimization_budget_spec(),
  public.validate_optimization_budget(jsonb), public.complete_optimization_budget(jsonb),
  public.validate_optimization_config(text, jsonb)
  to authenticated, service_role;

insert into public.platform_settings (key, value, description) values
  ('max_optimization_wall_time_seconds', '86400', 'Most wall-clock seconds one optimisation run may spend.')
on conflict (key) do nothing;
update public.platform_settings
   set description = 'Jobs (generation requests and optimisation runs of their own) one user may have pending, queued or running at once.'
 where key = 'max_active_jobs_per_user';

-- Raises one check_violation naming every problem; DETAIL carries them as a JSON array for the API.
create or replace function public.raise_config_problems(subject text, problems text[]) returns void
language plpgsql
set search_path = ''
as $$
begin
  if cardinality(problems) > 0 then
    raise exception 'invalid %: %', subject, array_to_string(problems, '; ')
      using errcode = 'check_violation', detail = to_jsonb(problems)::text;
  end if;
end
$$;
revoke all on function public.raise_config_problems(text, text[]) from public, anon;
grant execute on function public.raise_config_problems(text, text[]) to authenticated, service_role;

-- Every kind of job counts against max_active_jobs_per_user: generation requests, and optimisation runs
-- of their own. A run that serves an active generation request (the request's optimisation) lives in that
-- request's slot, and a request has at most one active run, so neither can multiply jobs. Per-owner
-- advisory lock: two concurrent inserts cannot both take the last slot. Runs as the inserting user: RLS
-- shows them exactly their own jobs, the service role all.
create or replace function public.enforce_active_job_limit(job_owner uuid) returns void
language plpgsql
set search_path = ''
as $$
declare
  max_active bigint := public.setting_bigint('max_active_jobs_per_user', 5);
  active bigint;
begin
  perform pg_advisory_xact_lock(hashtext('synth:active_jobs'), hashtext(job_owner::text));
  select (select count(*) from public.generation_requests g
           where g.owner_id = job_owner and g.status in ('pending_approval', 'queued', 'running'))
       + (select count(*) from public.optimization_runs r
           where r.owner_id = job_owner and r.status in ('pending_approval', 'queued', 'running')
             and not exists (select 1 from public.generation_requests g
                              where g.id = r.generation_request_id
                                and g.status in ('pending_approval', 'queued', 'running')))
    into active;
  if active >= max_active then
    raise exception 'at most % active jobs (generation requests and optimisation runs) per user', max_active
      using errcode = 'check_violation';
  end if;
end
$$;
revoke all on function public.enforce_active_job_limit(uuid) from public, anon;
grant execute on function public.enforce_active_job_limit(uuid) to authenticated, service_role;

-- A job trains on a validated file only. A dataset the inserter cannot see is left to the foreign key
-- (which refuses it as another owner's).
create or replace function public.require_ready_dataset(dataset uuid, dataset_owner uuid) returns void
language plpgsql stable
set search_path = ''
as $$
declare
  state text;
begin
  -- dataset_id is NOT NULL here; 20261202000500 makes it nullable (finished jobs outlive their dataset),
  -- and then this is what still refuses a new job without one.
  if dataset is null then
    raise exception 'a job needs a dataset' using errcode = 'not_null_violation';
  end if;
  select d.status into state from public.datasets d where d.id = dataset and d.owner_id = dataset_owner;
  if state is not null and state <> 'ready' then
    raise exception 'dataset % is %, not ready: jobs run on validated datasets only', dataset, state
      using errcode = 'check_violation';
  end if;
end
$$;
revoke all on function public.require_ready_dataset(uuid, uuid) from public, anon;
grant execute on function public.require_ready_dataset(uuid, uuid) to authenticated, service_role;

create or replace function public.generation_requests_before_insert() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  max_rows bigint := public.setting_bigint('max_sample_size', 1000000);
begin
  if new.sample_size > max_rows then
    raise exception 'sample_size % exceeds the platform limit of % rows', new.sample_size, max_rows
      using errcode = 'check_violation';
  end if;
  perform public.raise_config_problems('model_config', public.validate_model_config(new.model_type, new.model_config));
  perform public.raise_config_problems('optimization_config',
    public.validate_optimization_config(new.model_type, new.optimization_config));
  if new.optimization_config is not null then
    new.optimization_config := jsonb_set(new.optimization_config, '{budget}',
      public.complete_optimization_budget(new.optimization_config -> 'budget'));
  end if;
  perform public.require_ready_dataset(new.dataset_id, new.owner_id);
  perform public.enforce_active_job_limit(new.owner_id);
  new.max_attempts := public.setting_bigint('job_max_attempts', 3);
  new.status := case when public.setting_bool('generation_requires_approval', false)
                     then 'pending_approval' else 'queued' end;
  return new;
end
$$;

create or replace function public.optimization_runs_before_insert() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  serves_active_request boolean;
begin
  perform public.raise_config_problems('search_space', public.validate_search_space(new.model_type, new.search_space));
  perform public.raise_config_problems('budget', public.validate_optimization_budget(new.budget));
  new.budget := public.complete_optimization_budget(new.budget);
  perform public.require_ready_dataset(new.dataset_id, new.owner_id);
  select exists (select 1 from public.generation_requests g
                  where g.id = new.generation_request_id and g.owner_id = new.owner_id
                    and g.status in ('pending_approval', 'queued', 'running'))
    into serves_active_request;
  if serves_active_request then
    perform pg_advisory_xact_lock(hashtext('synth:active_jobs'), hashtext(new.owner_id::text));
    if exists (select 1 from public.optimization_runs r
                where r.generation_request_id = new.generation_request_id
                  and r.status in ('pending_approval', 'queued', 'running')) then
      raise exception 'generation request % already has an active optimisation run', new.generation_request_id
        using errcode = 'check_violation';
    end if;
  else
    perform public.enforce_active_job_limit(new.owner_id);
  end if;
  new.status := case when public.setting_bool('generation_requires_approval', false)
                     then 'pending_approval' else 'queued' end;
  return new;
end
$$;
