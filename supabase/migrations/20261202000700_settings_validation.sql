-- Every platform setting has a type and bounds, checked on every write: a wrong value (a string for a
-- number, a fraction for a count, 0 attempts) used to be stored, after which every insert that read it
-- failed with a cast error. Unknown keys are refused too: a setting no code reads is a typo.
-- The bounds are those the schema can honour: sample sizes up to the column's 100 000 000, attempts up
-- to max_attempts' 20, epochs up to model_config_spec()'s hard 100 000, trials up to 1 000, wall time
-- up to a week.
create or replace function public.platform_settings_spec() returns jsonb
language sql immutable
set search_path = ''
as $$
  select '{
    "generation_requires_approval": {"type": "boolean"},
    "max_sample_size": {"type": "integer", "minimum": 1, "maximum": 100000000},
    "max_file_size_mb": {"type": "integer", "minimum": 1, "maximum": 100000},
    "max_active_jobs_per_user": {"type": "integer", "minimum": 0, "maximum": 1000},
    "max_epochs": {"type": "integer", "minimum": 1, "maximum": 100000},
    "max_optimization_trials": {"type": "integer", "minimum": 1, "maximum": 1000},
    "max_optimization_wall_time_seconds": {"type": "integer", "minimum": 1, "maximum": 604800},
    "job_max_attempts": {"type": "integer", "minimum": 1, "maximum": 20}
  }'::jsonb
$$;
revoke all on function public.platform_settings_spec() from public, anon;
grant execute on function public.platform_settings_spec() to authenticated, service_role;

create or replace function public.platform_settings_validate() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  spec jsonb := public.platform_settings_spec() -> new.key;
begin
  if spec is null then
    raise exception 'unknown platform setting %', new.key using errcode = 'check_violation',
      hint = 'known: ' || (select string_agg(k, ', ' order by k) from jsonb_object_keys(public.platform_settings_spec()) k);
  end if;
  perform public.raise_config_problems('platform setting', public.check_config_value(new.key, new.value, spec));
  return new;
end
$$;
create trigger platform_settings_validate before insert or update of key, value on public.platform_settings
  for each row execute function public.platform_settings_validate();
