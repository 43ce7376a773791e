-- Disabled accounts lose access on their next request, not when their token expires.
--
-- Supabase Auth's ban (Studio's "Ban user", the admin API's ban_duration, our admin toggle) only sets
-- auth.users.banned_until: a JWT issued before the ban stays valid until it expires, and PostgreSQL sees
-- nothing but that JWT. So the database itself must ask whether the account behind auth.uid() is still
-- active, on every statement.
--
-- One helper, public.is_active(), and one RESTRICTIVE policy per table (and on storage.objects) that every
-- operation must pass in addition to the permissive ones. A restrictive policy is ANDed with whatever
-- permissive policy grants access, so every existing policy, and every policy a later migration adds, is
-- covered without being rewritten (a copied condition in 25 policies would be forgotten in the 26th).
-- tests/db/hardening.test.ts checks that every RLS table of public and storage.objects has it.

-- Active: the account exists, is not banned now and is not soft-deleted (Supabase's soft delete sets
-- deleted_at). Security definer because authenticated cannot read auth.users; stable, so
-- `(select public.is_active())` is evaluated once per statement as an initplan.
create or replace function public.is_active() returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from auth.users u
     where u.id = (select auth.uid())
       and (u.banned_until is null or u.banned_until <= now())
       and u.deleted_at is null
  )
$$;
revoke all on function public.is_active() from public;
-- anon gets it too: it answers false for a request without a user, and a policy that names it must not
-- fail with "permission denied for function" when evaluated for anon.
grant execute on function public.is_active() to anon, authenticated, service_role;

create policy "profiles: active accounts only" on public.profiles
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "datasets: active accounts only" on public.datasets
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "platform_settings: active accounts only" on public.platform_settings
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "admin_action_logs: active accounts only" on public.admin_action_logs
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "api_request_logs: active accounts only" on public.api_request_logs
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "generation_requests: active accounts only" on public.generation_requests
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "optimization_runs: active accounts only" on public.optimization_runs
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "optimization_trials: active accounts only" on public.optimization_trials
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "notifications: active accounts only" on public.notifications
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
create policy "push_tokens: active accounts only" on public.push_tokens
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));
-- Every bucket of the project: a banned user neither reads, uploads, overwrites nor deletes anything.
create policy "storage: active accounts only" on storage.objects
  as restrictive for all to authenticated
  using ((select public.is_active())) with check ((select public.is_active()));

-- The one user-callable write path that does not go through RLS (security definer): a banned admin's
-- token must not approve or reject either.
create or replace function public.decide_generation_request(request_id uuid, approve boolean, reason text default null)
returns public.generation_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.generation_requests;
begin
  if not public.is_admin() or not public.is_active() then
    raise exception 'only an active admin may approve or reject generation requests'
      using errcode = 'insufficient_privilege';
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
