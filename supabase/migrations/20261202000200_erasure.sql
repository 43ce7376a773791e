-- Account erasure: `delete from auth.users` (what Supabase Auth's admin deleteUser runs) must succeed for
-- every user, whatever rows they have.
--
-- The two logs keep their user column on `on delete set null`, but their append-only triggers refused that
-- very update, so deleting any user with a log line failed. The logs stay append-only with exactly one
-- documented exception, the anonymisation of an erased account: an UPDATE is allowed only when
--   * it sets the log's user column (admin_id / user_id) from a value to null,
--   * every other column is unchanged, and
--   * that user no longer exists in auth.users (so it is the foreign key's set-null action of an erasure,
--     not someone blanking the name of a living user; the service role cannot do that either).
-- What stays is what happened and when, without who: the request id, route and status of an API call,
-- the action and target of an admin's decision.

create or replace function public.forbid_change_except_erasure() returns trigger
language plpgsql
-- Reads auth.users, which the roles that delete users (and the RI action) cannot necessarily read.
security definer
set search_path = ''
as $$
declare
  user_column text := tg_argv[0];
  erased uuid := (to_jsonb(old) ->> user_column)::uuid;
begin
  if tg_op = 'UPDATE'
     and erased is not null
     and to_jsonb(new) ->> user_column is null
     and (to_jsonb(new) - user_column) = (to_jsonb(old) - user_column)
     and not exists (select 1 from auth.users u where u.id = erased) then
    return new;
  end if;
  raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege',
    hint = format('the only change allowed is %s set to null when that user is erased', user_column);
end
$$;
revoke all on function public.forbid_change_except_erasure() from public, anon, authenticated;

drop trigger admin_action_logs_append_only on public.admin_action_logs;
create trigger admin_action_logs_append_only before update on public.admin_action_logs
  for each row execute function public.forbid_change_except_erasure('admin_id');
create trigger admin_action_logs_no_delete before delete on public.admin_action_logs
  for each row execute function public.forbid_change();

drop trigger api_request_logs_append_only on public.api_request_logs;
create trigger api_request_logs_append_only before update on public.api_request_logs
  for each row execute function public.forbid_change_except_erasure('user_id');
