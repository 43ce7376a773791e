-- A device token was unique across all users, so registering a token another account had registered
-- failed with a unique violation: it told one user that the token (the device) belongs to someone else.
-- Uniqueness is now per user. A device that changes hands is re-registered by its new user, and then no
-- longer belongs to the previous one: their row for it is removed in the same statement, so pushes for
-- one account never reach a device another account has signed in on. Nothing of that is visible to the
-- registering user.
alter table public.push_tokens drop constraint push_tokens_token_key;
alter table public.push_tokens add constraint push_tokens_user_token_unique unique (user_id, token);
create index push_tokens_token_idx on public.push_tokens (token);

create or replace function public.push_tokens_claim_device() returns trigger
language plpgsql
-- Removes another user's row, which the registering user can neither see nor delete.
security definer
set search_path = ''
as $$
begin
  delete from public.push_tokens p where p.token = new.token and p.user_id <> new.user_id;
  return new;
end
$$;
revoke all on function public.push_tokens_claim_device() from public, anon, authenticated;
create trigger push_tokens_claim_device before insert on public.push_tokens
  for each row execute function public.push_tokens_claim_device();
