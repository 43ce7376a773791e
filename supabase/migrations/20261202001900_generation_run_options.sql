-- How a generation request samples and evaluates, beside its hyperparameters: conditions for conditional
-- sampling, the privacy guard setting, evaluation settings (holdout, target column) and whether the
-- fitted metadata is written with the table. Its own column rather than keys inside model_config:
-- model_config is exactly what the model's strict options schema accepts (validate_model_config refuses
-- unknown keys), so the runner can hand it to the model untouched.
--
-- The shape is shared/platform/job-options.ts (jobRunOptionsSchema), which the API validates with zod; a
-- user may insert without the API, so the same rules are checked here, each problem with its path.
-- Whether a condition's column exists is the API's check (the dataset's column metadata); the runner's
-- synthesizer refuses an unknown column again (UNKNOWN_COLUMN).
alter table public.generation_requests
  add column run_options jsonb not null default '{}'::jsonb
    check (jsonb_typeof(run_options) = 'object' and pg_column_size(run_options) <= 65536);

comment on column public.generation_requests.run_options is
  'Sampling and evaluation settings: {conditions?: {column: value}, privacy_guard?: {enabled?, min_row_count?}, evaluation?: {holdout_fraction?, target_column?}, include_metadata?}. Validated by validate_run_options().';

create or replace function public.validate_run_options(options jsonb) returns text[]
language plpgsql stable
set search_path = ''
as $$
declare
  problems text[] := '{}'::text[];
  entry record;
  sub jsonb;
  n numeric;
begin
  if options is null then
    return problems;
  end if;
  if jsonb_typeof(options) <> 'object' then
    return array['run_options: must be an object'];
  end if;
  for entry in select k from jsonb_object_keys(options) k
                where k not in ('conditions', 'privacy_guard', 'evaluation', 'include_metadata') order by k loop
    problems := problems || format('%s: unknown key (allowed: conditions, privacy_guard, evaluation, include_metadata)', entry.k);
  end loop;

  sub := options -> 'conditions';
  if sub is not null then
    if jsonb_typeof(sub) <> 'object' then
      problems := problems || 'conditions: must be an object of column -> value'::text;
    else
      if (select count(*) from jsonb_object_keys(sub)) > 100 then
        problems := problems || 'conditions: at most 100 conditions'::text;
      end if;
      for entry in select e.key, e.value from jsonb_each(sub) e order by e.key loop
        if char_length(entry.key) not between 1 and 256 then
          problems := problems || 'conditions: a column name has 1 to 256 characters'::text;
        elsif entry.key = '__proto__' then
          problems := problems || 'conditions.__proto__: __proto__ cannot be conditioned on'::text;
        elsif jsonb_typeof(entry.value) not in ('string', 'number', 'boolean', 'null') then
          problems := problems || format('conditions.%s: a condition is a string, number, boolean or null', entry.key);
        elsif jsonb_typeof(entry.value) = 'string' and char_length(entry.value #>> '{}') > 1000 then
          problems := problems || format('conditions.%s: at most 1000 characters', entry.key);
        end if;
      end loop;
    end if;
  end if;

  sub := options -> 'privacy_guard';
  if sub is not null then
    if jsonb_typeof(sub) <> 'object' then
      problems := problems || 'privacy_guard: must be an object'::text;
    else
      for entry in select k from jsonb_object_keys(sub) k where k not in ('enabled', 'min_row_count') order by k loop
        problems := problems || format('privacy_guard.%s: unknown key (allowed: enabled, min_row_count)', entry.k);
      end loop;
      if sub ? 'enabled' and jsonb_typeof(sub -> 'enabled') <> 'boolean' then
        problems := problems || 'privacy_guard.enabled: must be true or false'::text;
      end if;
      if sub ? 'min_row_count' then
        if jsonb_typeof(sub -> 'min_row_count') <> 'number' then
          problems := problems || 'privacy_guard.min_row_count: must be a number'::text;
        else
          n := (sub ->> 'min_row_count')::numeric;
          if n <> trunc(n) or n not between 2 and 255 then
            problems := problems || 'privacy_guard.min_row_count: must be an integer from 2 to 255'::text;
          end if;
        end if;
      end if;
    end if;
  end if;

  sub := options -> 'evaluation';
  if sub is not null then
    if jsonb_typeof(sub) <> 'object' then
      problems := problems || 'evaluation: must be an object'::text;
    else
      for entry in select k from jsonb_object_keys(sub) k where k not in ('holdout_fraction', 'target_column') order by k loop
        problems := problems || format('evaluation.%s: unknown key (allowed: holdout_fraction, target_column)', entry.k);
      end loop;
      if sub ? 'holdout_fraction' then
        if jsonb_typeof(sub -> 'holdout_fraction') <> 'number' then
          problems := problems || 'evaluation.holdout_fraction: must be a number'::text;
        elsif (sub ->> 'holdout_fraction')::numeric not between 0 and 0.5 then
          problems := problems || 'evaluation.holdout_fraction: must be from 0 to 0.5'::text;
        end if;
      end if;
      if sub ? 'target_column' and not coalesce(jsonb_typeof(sub -> 'target_column') = 'string'
                                                and char_length(sub ->> 'target_column') between 1 and 256, false) then
        problems := problems || 'evaluation.target_column: must be a column name of 1 to 256 characters'::text;
      end if;
    end if;
  end if;

  if options ? 'include_metadata' and jsonb_typeof(options -> 'include_metadata') <> 'boolean' then
    problems := problems || 'include_metadata: must be true or false'::text;
  end if;
  return problems;
end
$$;
revoke all on function public.validate_run_options(jsonb) from public, anon;
grant execute on function public.validate_run_options(jsonb) to authenticated, service_role;
comment on function public.validate_run_options(jsonb) is
  'The problems of a generation request''s run_options, each prefixed with its path; empty when valid (shared/platform/job-options.ts is the same rule in zod).';

-- Its own trigger, so generation_requests_before_insert (limits, approval) is left as it is. Triggers of
-- one event fire in name order: '_a_run_options' sorts before '_before_insert', so shape first, then limits.
create or replace function public.generation_requests_check_run_options() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform public.raise_config_problems('run_options', public.validate_run_options(new.run_options));
  return new;
end
$$;
revoke all on function public.generation_requests_check_run_options() from public, anon, authenticated;
create trigger generation_requests_a_run_options before insert on public.generation_requests
  for each row execute function public.generation_requests_check_run_options();

grant insert (run_options) on table public.generation_requests to authenticated;
