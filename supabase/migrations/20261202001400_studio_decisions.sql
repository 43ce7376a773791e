-- Approving and rejecting from Supabase Studio's SQL editor.
--
-- decide_generation_request() trusts only the JWT (is_admin() reads auth.jwt()'s app_metadata.role), and
-- Studio's SQL editor runs as the postgres role with no JWT at all: there is_admin() is false and the
-- function refuses, whoever sits at the keyboard. So Studio gets its own entry point,
-- studio_decide_generation_request(request_id, approve, reason, admin_id): callable only by postgres (its
-- owner) and the service role, never by API users; it names the admin on whose behalf the decision is
-- made, checks that this account is an active admin in auth.users (the same app_metadata the JWT is
-- minted from), and logs the decision under that admin with via = 'studio' and the database user who ran
-- it. Both entry points share one implementation, record_generation_decision(), so their rules (no
-- self-approval, only pending requests, the log line in the same transaction) cannot drift apart.

create or replace function public.record_generation_decision(
  request_id uuid, approve boolean, reason text, decided_by uuid, log_details jsonb
) returns public.generation_requests
language plpgsql
set search_path = ''
as $$
declare
  result public.generation_requests;
begin
  if reason is not null and char_length(reason) > 2000 then
    raise exception 'reason is longer than 2000 characters' using errcode = 'check_violation';
  end if;
  if exists (select 1 from public.generation_requests g where g.id = request_id and g.owner_id = decided_by) then
    raise exception 'an admin cannot approve or reject their own generation request: another admin decides'
      using errcode = 'insufficient_privilege';
  end if;
  update public.generation_requests
     set status = case when approve then 'queued' else 'rejected' end,
         approved_by = case when approve then decided_by end,
         approved_at = case when approve then now() end,
         rejected_by = case when approve then null else decided_by end,
         rejected_at = case when approve then null else now() end,
         decision_reason = reason
   where id = request_id and status = 'pending_approval'
  returning * into result;
  if result.id is null then
    raise exception 'generation request % is not waiting for approval', request_id using errcode = 'no_data_found';
  end if;
  insert into public.admin_action_logs (admin_id, action, target_table, target_id, reason, details)
  values (decided_by, case when approve then 'approve_generation' else 'reject_generation' end,
          'generation_requests', request_id::text, reason, coalesce(log_details, '{}'::jsonb));
  return result;
end
$$;
-- Internal: reached only through the two security-definer entry points, which run as its owner.
revoke all on function public.record_generation_decision(uuid, boolean, text, uuid, jsonb)
  from public, anon, authenticated, service_role;

create or replace function public.decide_generation_request(request_id uuid, approve boolean, reason text default null)
returns public.generation_requests
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not public.is_admin() or not public.is_active() then
    raise exception 'only an active admin may approve or reject generation requests'
      using errcode = 'insufficient_privilege';
  end if;
  return public.record_generation_decision(request_id, approve, reason, auth.uid(), '{}'::jsonb);
end
$$;
revoke all on function public.decide_generation_request(uuid, boolean, text) from public, anon;
grant execute on function public.decide_generation_request(uuid, boolean, text) to authenticated, service_role;

create or replace function public.studio_decide_generation_request(
  request_id uuid, approve boolean, reason text, admin_id uuid
) returns public.generation_requests
language plpgsql
security definer
set search_path = ''
as $$
begin
  if admin_id is null or not exists (
    select 1 from auth.users u
     where u.id = studio_decide_generation_request.admin_id
       and u.raw_app_meta_data ->> 'role' = 'admin'
       and (u.banned_until is null or u.banned_until <= now())
       and u.deleted_at is null
  ) then
    raise exception 'admin_id % is not an active admin (auth.users.raw_app_meta_data.role = admin)', admin_id
      using errcode = 'insufficient_privilege';
  end if;
  return public.record_generation_decision(request_id, approve, reason, admin_id,
    jsonb_build_object('via', 'studio', 'database_user', session_user));
end
$$;
revoke all on function public.studio_decide_generation_request(uuid, boolean, text, uuid)
  from public, anon, authenticated;
grant execute on function public.studio_decide_generation_request(uuid, boolean, text, uuid) to service_role;
