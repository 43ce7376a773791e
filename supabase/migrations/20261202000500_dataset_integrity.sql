-- A dataset row keeps describing its file, and its jobs' history outlives it.
--
-- 1. column_metadata is the owner's override of inference, theirs to edit except while the runner is
--    validating: an edit then would be profiled against the metadata the runner did not read. Refused for
--    everyone (the runner never writes it).
-- 2. Deleting a dataset cascaded away its jobs, running ones included (a runner kept training on a file
--    whose row was gone) and the request history users may not delete themselves. Decision: a dataset
--    with an active job (pending approval, queued, running) cannot be deleted: cancel the job first (a
--    clear error says so). Finished jobs stay, with dataset_id set to null (their results, quality and
--    approvals are history); only erasing the account removes them (the owner's foreign key).

create or replace function public.datasets_guard_column_metadata() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status = 'validating' and new.column_metadata is distinct from old.column_metadata then
    raise exception 'dataset % is being validated: its column metadata can be edited once validation ends', old.id
      using errcode = 'object_in_use';
  end if;
  return new;
end
$$;
create trigger datasets_guard_column_metadata before update of column_metadata on public.datasets
  for each row execute function public.datasets_guard_column_metadata();

create or replace function public.datasets_before_delete() returns trigger
language plpgsql
-- Reads auth.users (is the owner being erased?) and every job on the dataset, whoever deletes.
security definer
set search_path = ''
as $$
begin
  -- Erasing the account removes everything of it, running jobs included: their rows go with the owner.
  if not exists (select 1 from auth.users u where u.id = old.owner_id) then
    return old;
  end if;
  if exists (select 1 from public.generation_requests g
              where g.dataset_id = old.id and g.status in ('pending_approval', 'queued', 'running'))
     or exists (select 1 from public.optimization_runs r
                 where r.dataset_id = old.id and r.status in ('pending_approval', 'queued', 'running')) then
    raise exception 'dataset % has active jobs: cancel them before deleting it', old.id
      using errcode = 'object_in_use';
  end if;
  return old;
end
$$;
revoke all on function public.datasets_before_delete() from public, anon, authenticated;
create trigger datasets_before_delete before delete on public.datasets
  for each row execute function public.datasets_before_delete();

-- History kept: the foreign keys set only dataset_id to null (PostgreSQL 15's column list), the owner
-- stays. A job is still created on a dataset, always: checked on insert by require_ready_dataset()
-- (20261202000300; a constraint "active jobs have a
-- dataset" would break account erasure, where the dataset may go before the owner's jobs do).
alter table public.generation_requests alter column dataset_id drop not null;
alter table public.generation_requests drop constraint generation_requests_dataset_same_owner;
alter table public.generation_requests add constraint generation_requests_dataset_same_owner
  foreign key (dataset_id, owner_id) references public.datasets (id, owner_id) on delete set null (dataset_id);

alter table public.optimization_runs alter column dataset_id drop not null;
alter table public.optimization_runs drop constraint optimization_runs_dataset_same_owner;
alter table public.optimization_runs add constraint optimization_runs_dataset_same_owner
  foreign key (dataset_id, owner_id) references public.datasets (id, owner_id) on delete set null (dataset_id);

