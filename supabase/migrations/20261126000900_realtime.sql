-- Clients follow jobs and notifications through Realtime postgres_changes; RLS applies to what they receive.
alter publication supabase_realtime add table
  public.generation_requests, public.optimization_runs, public.optimization_trials, public.notifications;
