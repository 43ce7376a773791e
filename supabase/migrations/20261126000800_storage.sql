-- Private buckets. Every object lives under '<owner user id>/...'. Users upload only datasets (their own
-- folder); synthetic tables, models and reports are written by the runner and only read (or deleted) by
-- their owner. Admins read everything. Signed URLs are how clients download.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) values
  ('datasets', 'datasets', false, 524288000, array[
    'text/csv', 'text/plain', 'application/json', 'application/x-ndjson', 'application/jsonl',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/vnd.apache.parquet',
    'application/octet-stream']),
  ('synthetic', 'synthetic', false, 524288000, null),
  ('models', 'models', false, 209715200, null),
  ('reports', 'reports', false, 52428800, null)
on conflict (id) do update
  set public = excluded.public,
      file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;

create policy "synth buckets: owner or admin reads" on storage.objects
  for select to authenticated
  using (
    bucket_id in ('datasets', 'synthetic', 'models', 'reports')
    and ((storage.foldername(name))[1] = (select auth.uid())::text or (select public.is_admin()))
  );
create policy "datasets bucket: owner uploads" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'datasets' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "datasets bucket: owner overwrites" on storage.objects
  for update to authenticated
  using (bucket_id = 'datasets' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'datasets' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "synth buckets: owner deletes" on storage.objects
  for delete to authenticated
  using (
    bucket_id in ('datasets', 'synthetic', 'models', 'reports')
    and (storage.foldername(name))[1] = (select auth.uid())::text
  );
