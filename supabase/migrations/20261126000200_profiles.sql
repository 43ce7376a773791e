-- One profile per auth user, created by a trigger on sign-up. The role is not here: it lives in
-- auth.users.raw_app_meta_data, which users cannot write.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text check (char_length(display_name) <= 100),
  organisation text check (char_length(organisation) <= 200),
  avatar_url text check (char_length(avatar_url) <= 2048 and avatar_url ~ '^https://'),
  preferences jsonb not null default '{}'::jsonb
    check (jsonb_typeof(preferences) = 'object' and pg_column_size(preferences) <= 16384),
  notification_consent boolean not null default false,
  notification_consent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.profiles enable row level security;

create trigger profiles_updated_at before update on public.profiles
  for each row execute function public.set_updated_at();

-- Consent is evidence: keep when it was given, and clear it when withdrawn.
create or replace function public.profiles_consent_time() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.notification_consent and (tg_op = 'INSERT' or not old.notification_consent) then
    new.notification_consent_at := now();
  elsif not new.notification_consent then
    new.notification_consent_at := null;
  end if;
  return new;
end
$$;
create trigger profiles_consent_time before insert or update of notification_consent on public.profiles
  for each row execute function public.profiles_consent_time();

revoke all on table public.profiles from anon, authenticated;
grant select on table public.profiles to authenticated;
grant update (display_name, organisation, avatar_url, preferences, notification_consent)
  on table public.profiles to authenticated;

create policy "profiles: owner or admin reads" on public.profiles
  for select to authenticated
  using (id = (select auth.uid()) or (select public.is_admin()));
create policy "profiles: owner updates" on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

create or replace function public.handle_new_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name)
  values (
    new.id,
    left(coalesce(new.raw_user_meta_data ->> 'display_name', new.raw_user_meta_data ->> 'full_name',
                  split_part(new.email, '@', 1)), 100)
  )
  on conflict (id) do nothing;
  return new;
end
$$;
revoke all on function public.handle_new_user() from public, anon, authenticated;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
