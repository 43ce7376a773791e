-- An admin cannot decide on their own generation request. Decision: refused, with a clear error, for
-- approval and rejection alike. Approval exists so that a second person looks at what a request will do
-- with a dataset; an admin who could approve themselves would make it a formality, and a log line saying
-- "self-approved" would record the hole rather than close it. Admins' own requests wait for another
-- admin; an admin who no longer wants theirs cancels it as any owner does.
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
  if exists (select 1 from public.generation_requests g where g.id = request_id and g.owner_id = auth.uid()) then
    raise exception 'an admin cannot approve or reject their own generation request: another admin decides'
      using errcode = 'insufficient_privilege';
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
