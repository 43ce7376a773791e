-- Object names a user supplies, checked by one rule everywhere a path is accepted: datasets.storage_path
-- and the upload / overwrite policies of storage.objects.
--
-- Before: the folder test looked only at the first segment, so '<uid>/../<other>/x.csv' (which a path
-- normaliser resolves into another user's folder) and '<uid>//x.csv' were accepted.
--
-- A safe name:
--   * is 1 to 1024 bytes long (S3's key limit, which Supabase Storage inherits), each '/'-separated
--     segment at most 255 bytes (the usual file-name limit, so a name maps onto a file system too);
--   * has no empty segment: no leading or trailing '/', no '//';
--   * has no '.' or '..' segment;
--   * has no backslash (a separator on Windows) and no control character (U+0000-U+001F, U+007F).
create or replace function public.is_safe_object_path(path text) returns boolean
language sql immutable
set search_path = ''
as $$
  select path is not null
     and octet_length(path) between 1 and 1024
     and strpos(path, E'\\') = 0
     and path !~ '[[:cntrl:]]'
     and not exists (
       select 1 from unnest(string_to_array(path, '/')) as segment
        where segment in ('', '.', '..') or octet_length(segment) > 255
     )
$$;
revoke all on function public.is_safe_object_path(text) from public;
grant execute on function public.is_safe_object_path(text) to anon, authenticated, service_role;

-- A dataset is a file inside its owner's folder: '<owner id>/<at least one more segment>'.
alter table public.datasets
  add constraint datasets_storage_path_safe
  check (public.is_safe_object_path(storage_path) and strpos(storage_path, '/') > 0);

-- A registered dataset's file is immutable while the dataset exists: its profile, sha256 and 'ready'
-- describe exactly that file. Owners can neither overwrite it (update), replace it by deleting and
-- uploading again (insert of a registered name), move it, nor delete it; they delete the dataset first.
-- (Re-validating on change instead would leave a window in which 'ready' describes another file, and a
-- running job may already be reading it.)
create or replace function public.is_registered_dataset_object(bucket text, object_name text) returns boolean
language sql stable
-- Security definer: the answer must not depend on what the caller's RLS lets them see.
security definer
set search_path = ''
as $$
  select exists (select 1 from public.datasets d where d.storage_bucket = bucket and d.storage_path = object_name)
$$;
revoke all on function public.is_registered_dataset_object(text, text) from public, anon;
grant execute on function public.is_registered_dataset_object(text, text) to authenticated, service_role;

drop policy "datasets bucket: owner uploads" on storage.objects;
drop policy "datasets bucket: owner overwrites" on storage.objects;
drop policy "synth buckets: owner deletes" on storage.objects;

create policy "datasets bucket: owner uploads" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'datasets'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and public.is_safe_object_path(name)
    and not public.is_registered_dataset_object(bucket_id, name)
  );
create policy "datasets bucket: owner overwrites" on storage.objects
  for update to authenticated
  using (
    bucket_id = 'datasets'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and not public.is_registered_dataset_object(bucket_id, name)
  )
  with check (
    bucket_id = 'datasets'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and public.is_safe_object_path(name)
    and not public.is_registered_dataset_object(bucket_id, name)
  );
create policy "synth buckets: owner deletes" on storage.objects
  for delete to authenticated
  using (
    bucket_id in ('datasets', 'synthetic', 'models', 'reports')
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and not (bucket_id = 'datasets' and public.is_registered_dataset_object(bucket_id, name))
  );
