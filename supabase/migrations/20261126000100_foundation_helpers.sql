-- Helpers every table of synth uses: who is an admin, updated_at, status state machines, append-only logs,
-- and the wake-up of the training runner. Functions pin search_path so that no caller can shadow what they
-- reference.

-- Admin is read only from app_metadata, which only the service role can write; user_metadata is the user's
-- own and must never grant anything.
create or replace function public.is_admin() returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce((select auth.jwt()) -> 'app_metadata' ->> 'role', '') = 'admin'
$$;
revoke all on function public.is_admin() from public;
grant execute on function public.is_admin() to anon, authenticated, service_role;

create or replace function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- One state machine function for every table with a status column. The trigger passes the allowed
-- transitions as 'from>to' arguments, so each table's machine is readable at its trigger definition.
create or replace function public.enforce_status_transition() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  transition text;
begin
  if new.status is not distinct from old.status then
    return new;
  end if;
  transition := old.status || '>' || new.status;
  if not (transition = any (tg_argv)) then
    raise exception 'invalid status transition on %: % -> %', tg_table_name, old.status, new.status
      using errcode = 'check_violation', hint = 'allowed: ' || array_to_string(tg_argv, ', ');
  end if;
  return new;
end
$$;

-- Logs are evidence: nobody, not even the service role or an admin, rewrites or deletes a row.
create or replace function public.forbid_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
end
$$;

-- The wake-up hint for runners. pg_notify always; a Supabase Database Webhook through pg_net where the
-- project has pg_net and has stored the runner's URL in Vault (name 'runner_webhook_url', optional
-- 'runner_webhook_secret'). Webhooks are at-most-once: the row is the truth and runners also poll.
create or replace function public.wake_runner(kind text, job_id uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  payload jsonb := jsonb_build_object('kind', kind, 'id', job_id);
  webhook_url text;
  webhook_secret text;
begin
  perform pg_notify('synth_jobs', payload::text);
  if to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is not null
     and to_regclass('vault.decrypted_secrets') is not null then
    -- Built with format() because Vault exists only on hosted projects: a static reference would not
    -- compile (or lint) where it is absent.
    execute format('select (select decrypted_secret from %1$I.%2$I where name = %3$L),
                           (select decrypted_secret from %1$I.%2$I where name = %4$L)',
                   'vault', 'decrypted_secrets', 'runner_webhook_url', 'runner_webhook_secret')
      into webhook_url, webhook_secret;
    if webhook_url is not null then
      execute format('select %I.http_post(url := $1, body := $2, headers := $3, timeout_milliseconds := 2000)', 'net')
        using webhook_url, payload,
              jsonb_build_object('content-type', 'application/json', 'x-synth-webhook-secret', coalesce(webhook_secret, ''));
    end if;
  end if;
end
$$;
revoke all on function public.wake_runner(text, uuid) from public, anon, authenticated;
grant execute on function public.wake_runner(text, uuid) to service_role;

-- Trigger form: wake_runner_on_status('<kind>', '<status>') wakes runners when a row enters that status.
create or replace function public.wake_runner_on_status() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status = tg_argv[1] and (tg_op = 'INSERT' or old.status is distinct from tg_argv[1]) then
    perform public.wake_runner(tg_argv[0], new.id);
  end if;
  return null;
end
$$;
revoke all on function public.wake_runner_on_status() from public, anon, authenticated;

-- Jobs (generation requests, optimisation runs and trials) share these two rules.
-- Cancelling: the owner sets cancel_requested; a job that has not started is canceled at once, a running
-- one is stopped by its runner, which sees the flag. A cancel cannot be taken back.
create or replace function public.handle_cancel_request() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.cancel_requested and not new.cancel_requested then
    raise exception 'a cancel request cannot be withdrawn' using errcode = 'check_violation';
  end if;
  if new.cancel_requested and not old.cancel_requested and old.status in ('pending_approval', 'queued') then
    new.status := 'canceled';
  end if;
  return new;
end
$$;

-- Timestamps and the lease follow the status, so they cannot disagree with it.
create or replace function public.job_status_times() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'running' and old.status is distinct from 'running' then
    new.started_at := coalesce(new.started_at, now());
  end if;
  if new.status in ('succeeded', 'failed', 'canceled', 'rejected') then
    new.finished_at := coalesce(new.finished_at, now());
    new.locked_by := null;
    new.locked_until := null;
  end if;
  return new;
end
$$;
