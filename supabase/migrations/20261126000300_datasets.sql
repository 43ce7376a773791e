-- A table a user uploaded to Storage and registered. The file lives in the private bucket 'datasets' under
-- '<owner id>/...'; validation and profiling (possibly of a 500 MB file) run in the runner, so a dataset is
-- also a queue item: 'uploaded' rows are claimed with a lease and become 'ready' or 'invalid'.
create table public.datasets (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 200),
  description text check (char_length(description) <= 2000),
  storage_bucket text not null default 'datasets' check (storage_bucket = 'datasets'),
  storage_path text not null check (char_length(storage_path) between 1 and 1024),
  format text not null check (format in ('csv', 'json', 'jsonl', 'xlsx', 'parquet')),
  size_bytes bigint check (size_bytes >= 0),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  row_count integer check (row_count >= 0),
  column_count integer check (column_count >= 0),
  column_metadata jsonb check (pg_column_size(column_metadata) <= 1048576),
  profile jsonb check (pg_column_size(profile) <= 4194304),
  status text not null default 'uploaded' check (status in ('uploaded', 'validating', 'ready', 'invalid')),
  error jsonb,
  attempts integer not null default 0 check (attempts >= 0),
  locked_by text,
  locked_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The file must be in the owner's own folder: a user cannot register someone else's upload.
  constraint datasets_path_in_owner_folder check (split_part(storage_path, '/', 1) = owner_id::text),
  constraint datasets_storage_object_unique unique (storage_bucket, storage_path),
  -- Target of the composite foreign keys that keep jobs on datasets of their own owner.
  constraint datasets_id_owner_unique unique (id, owner_id)
);
alter table public.datasets enable row level security;
create index datasets_owner_id_idx on public.datasets (owner_id, created_at desc);
create index datasets_uploaded_idx on public.datasets (created_at) where status in ('uploaded', 'validating');

create trigger datasets_updated_at before update on public.datasets
  for each row execute function public.set_updated_at();
create trigger datasets_status_transition before update on public.datasets
  for each row execute function public.enforce_status_transition(
    'uploaded>validating', 'validating>ready', 'validating>invalid', 'validating>uploaded',
    'ready>validating', 'invalid>validating');

create trigger datasets_wake_runner after insert or update of status on public.datasets
  for each row execute function public.wake_runner_on_status('dataset', 'uploaded');

-- Users register and rename; what validation finds (status, profile, counts, errors) and the lease are
-- written only by the runner. A user's own column metadata overrides inference, so it is theirs to edit
-- while the dataset is not being validated.
revoke all on table public.datasets from anon, authenticated;
grant select, delete on table public.datasets to authenticated;
grant insert (owner_id, name, description, storage_bucket, storage_path, format, size_bytes, column_metadata)
  on table public.datasets to authenticated;
grant update (name, description, column_metadata) on table public.datasets to authenticated;

create policy "datasets: owner or admin reads" on public.datasets
  for select to authenticated
  using (owner_id = (select auth.uid()) or (select public.is_admin()));
create policy "datasets: owner registers" on public.datasets
  for insert to authenticated
  with check (owner_id = (select auth.uid()));
create policy "datasets: owner edits" on public.datasets
  for update to authenticated
  using (owner_id = (select auth.uid()))
  with check (owner_id = (select auth.uid()));
create policy "datasets: owner deletes" on public.datasets
  for delete to authenticated
  using (owner_id = (select auth.uid()));
