-- The admins' list of accounts (GET /admin/users, and Studio's SQL editor).
--
-- auth.users is not readable by authenticated, so the list is a security-definer function behind an
-- explicit check, like admin_system_stats(): an active admin (app_metadata.role from the JWT), the service
-- role, or a database session that has not switched to an API role at all (Studio's SQL editor runs as
-- postgres with role 'none'; EXECUTE is granted to nobody else, so such a session is the owner or a
-- superuser). Inside a security-definer function current_setting('role') still names the caller's SET ROLE,
-- so an API request (role authenticated) can never pass as that session.
--
-- Rows come newest account first. total is the number of accounts matched before paging, on every row (a
-- page past the end has no rows: ask page 1 for the total). Only the role is read from raw_app_meta_data;
-- user_metadata is the user's own and never shown as authority. jobs counts generation requests.
create or replace function public.admin_users(page_limit integer, page_offset integer, only_user uuid default null)
returns table (
  id uuid,
  email text,
  role text,
  created_at timestamptz,
  last_sign_in_at timestamptz,
  banned_until timestamptz,
  disabled boolean,
  deleted_at timestamptz,
  datasets bigint,
  jobs bigint,
  total bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not ((public.is_admin() and public.is_active())
          or current_setting('role', true) = 'service_role'
          or coalesce(current_setting('role', true), 'none') = 'none') then
    raise exception 'only an active admin may list users' using errcode = 'insufficient_privilege';
  end if;
  if page_limit is null or page_limit not between 1 and 1000 then
    raise exception 'page_limit must be between 1 and 1000' using errcode = 'invalid_parameter_value';
  end if;
  if page_offset is null or page_offset < 0 then
    raise exception 'page_offset must be 0 or more' using errcode = 'invalid_parameter_value';
  end if;
  return query
    select u.id,
           u.email::text,
           case when u.raw_app_meta_data ->> 'role' = 'admin' then 'admin' else 'user' end,
           u.created_at,
           u.last_sign_in_at,
           u.banned_until,
           coalesce(u.banned_until > now(), false),
           u.deleted_at,
           (select count(*) from public.datasets d where d.owner_id = u.id),
           (select count(*) from public.generation_requests g where g.owner_id = u.id),
           count(*) over ()
      from auth.users u
     where admin_users.only_user is null or u.id = admin_users.only_user
     order by u.created_at desc nulls last, u.id
     limit page_limit offset page_offset;
end
$$;
revoke all on function public.admin_users(integer, integer, uuid) from public, anon;
grant execute on function public.admin_users(integer, integer, uuid) to authenticated, service_role;

comment on function public.admin_users(integer, integer, uuid) is
  'Accounts for administrators, newest first: id, email, role (app_metadata), sign-up and last sign-in, '
  'ban (banned_until, disabled now), soft deletion, and counts of datasets and generation requests; total '
  'is the count before paging. Active admins (JWT), the service role or a direct SQL session (Studio) only. '
  'Example: select * from public.admin_users(50, 0);';
