-- Approval of optimisation studies. With generation_requires_approval on, a study starts as
-- pending_approval (optimization_runs_before_insert), as a generation request does: its trials fit models
-- on the owner's dataset, which is what approval is there to look at. Until now nothing could take it out of
-- that state but the owner's cancel. decide_optimization_run() is decide_generation_request()'s rule for
-- studies: an active admin's JWT only, never on the admin's own study, only a pending study, the decision
-- and its log line in one transaction. The run keeps who decided, when and why, so its owner can read why
-- a study was rejected (admin_action_logs is for admins).

alter table public.optimization_runs
  add column decided_by uuid references auth.users (id) on delete set null,
  add column decided_at timestamptz,
  add column decision_reason text check (char_length(decision_reason) <= 2000);

comment on column public.optimization_runs.decided_by is 'The admin who approved or rejected the study while it waited for approval; null when it never waited.';
comment on column public.optimization_runs.decided_at is 'When the study was approved or rejected; its wall-time budget counts from here until a trial starts it.';
comment on column public.optimization_runs.decision_reason is 'The admin''s reason, told to the owner (required to reject, optional to approve).';

create or replace function public.decide_optimization_run(run_id uuid, approve boolean, reason text default null)
returns public.optimization_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.optimization_runs;
begin
  if not public.is_admin() or not public.is_active() then
    raise exception 'only an active admin may approve or reject optimisation studies'
      using errcode = 'insufficient_privilege';
  end if;
  if reason is not null and char_length(reason) > 2000 then
    raise exception 'reason is longer than 2000 characters' using errcode = 'check_violation';
  end if;
  if exists (select 1 from public.optimization_runs r where r.id = run_id and r.owner_id = auth.uid()) then
    raise exception 'an admin cannot approve or reject their own optimisation study: another admin decides'
      using errcode = 'insufficient_privilege';
  end if;
  update public.optimization_runs
     set status = case when approve then 'queued' else 'rejected' end,
         decided_by = auth.uid(),
         decided_at = now(),
         decision_reason = reason
   where id = run_id and status = 'pending_approval'
  returning * into result;
  if result.id is null then
    raise exception 'optimisation study % is not waiting for approval', run_id using errcode = 'no_data_found';
  end if;
  insert into public.admin_action_logs (admin_id, action, target_table, target_id, reason)
  values (auth.uid(), case when approve then 'approve_optimization' else 'reject_optimization' end,
          'optimization_runs', run_id::text, reason);
  return result;
end
$$;
revoke all on function public.decide_optimization_run(uuid, boolean, text) from public, anon;
grant execute on function public.decide_optimization_run(uuid, boolean, text) to authenticated, service_role;
comment on function public.decide_optimization_run(uuid, boolean, text) is
  'Approves (approve = true: queued, and runners propose its trials) or rejects an optimisation study waiting for approval, logged under the calling admin: the API''s path (POST /admin/optimization/approve|reject/{id}), for an active admin''s JWT, never on the admin''s own study.';
