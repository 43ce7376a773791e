-- Descriptions for Supabase Studio (and psql's \d+): every table, view, column and function of public says
-- what it is for. tests/db/comments.test.ts fails when one lacks a comment, so a later migration that adds
-- an object adds its comment too.

-- Tables --------------------------------------------------------------------------------------------------
comment on table public.profiles is
  'One profile per auth user, created by a trigger on sign-up: the display name, organisation, avatar and preferences the user edits (roles are not here: they live in auth.users app_metadata, which users cannot write).';
comment on column public.profiles.id is 'The auth user this profile belongs to (auth.users.id); erasing the user removes the profile.';
comment on column public.profiles.display_name is 'Name shown in the app, taken from the sign-up metadata or the e-mail address at sign-up and then edited by the user (at most 100 characters).';
comment on column public.profiles.organisation is 'Organisation the user works for, as they state it (at most 200 characters).';
comment on column public.profiles.avatar_url is 'HTTPS URL of the user''s picture (https only, so the app never loads mixed content).';
comment on column public.profiles.preferences is 'The user''s UI preferences as a JSON object (at most 16 KiB), opaque to the database.';
comment on column public.profiles.notification_consent is 'Whether the user agreed to receive push notifications; pushes are sent only when true.';
comment on column public.profiles.notification_consent_at is 'When consent was given, set by a trigger as evidence and cleared when consent is withdrawn.';
comment on column public.profiles.created_at is 'When the profile was created (at sign-up).';
comment on column public.profiles.updated_at is 'When the profile last changed, kept by a trigger.';

comment on table public.datasets is
  'A table a user uploaded to the private datasets bucket and registered; also a queue item: uploaded rows are claimed by a runner with a lease and validated and profiled into ready or invalid.';
comment on column public.datasets.id is 'Identifier of the dataset.';
comment on column public.datasets.owner_id is 'The user who registered the dataset; its file must lie in this user''s folder.';
comment on column public.datasets.name is 'Name the owner gives the dataset (1 to 200 characters).';
comment on column public.datasets.description is 'Free-text description by the owner (at most 2000 characters).';
comment on column public.datasets.storage_bucket is 'Storage bucket of the file: always datasets.';
comment on column public.datasets.storage_path is 'Object name of the file in the bucket, <owner id>/..., checked by is_safe_object_path(); the file is immutable while the dataset exists.';
comment on column public.datasets.format is 'File format: csv, json, jsonl, xlsx or parquet.';
comment on column public.datasets.size_bytes is 'File size in bytes as the owner registered it (the bucket''s file_size_limit caps the upload itself).';
comment on column public.datasets.sha256 is 'SHA-256 of the file (hex), written by validation so the profile is tied to exactly that content.';
comment on column public.datasets.row_count is 'Number of rows found by validation.';
comment on column public.datasets.column_count is 'Number of columns found by validation.';
comment on column public.datasets.column_metadata is 'The owner''s per-column overrides of type inference (at most 1 MiB); not editable while validating.';
comment on column public.datasets.profile is 'The profile computed by validation: column types, missing values, cardinality and distributions (at most 4 MiB).';
comment on column public.datasets.status is 'Validation state: uploaded (waiting), validating (leased by a runner), ready (jobs may use it) or invalid.';
comment on column public.datasets.error is 'Why validation found the file invalid, as a JSON error, for the owner to fix.';
comment on column public.datasets.attempts is 'How many times a runner has claimed the dataset for validation.';
comment on column public.datasets.locked_by is 'Runner holding the validation lease, null when not leased.';
comment on column public.datasets.locked_until is 'When the validation lease expires; an expired lease lets another runner reclaim the dataset.';
comment on column public.datasets.created_at is 'When the dataset was registered.';
comment on column public.datasets.updated_at is 'When the row last changed, kept by a trigger.';

comment on table public.platform_settings is
  'Platform-wide limits and switches, typed and bounded by platform_settings_spec(): every signed-in user reads them (the limits are theirs to know), admins change them, and every change is logged.';
comment on column public.platform_settings.key is 'Name of the setting, one of the keys of platform_settings_spec().';
comment on column public.platform_settings.value is 'The setting''s value as JSON, validated against its spec on every write.';
comment on column public.platform_settings.description is 'What the setting controls, for the admin pages.';
comment on column public.platform_settings.updated_by is 'The admin who last changed the value (must be the admin making the change).';
comment on column public.platform_settings.created_at is 'When the setting was created.';
comment on column public.platform_settings.updated_at is 'When the setting last changed, kept by a trigger.';

comment on table public.admin_action_logs is
  'Append-only evidence of every admin action (approvals, rejections, settings changes): rows are never updated or deleted, except that an erased admin''s id is set to null.';
comment on column public.admin_action_logs.id is 'Sequence number of the log line.';
comment on column public.admin_action_logs.admin_id is 'The admin who acted; null once that account has been erased.';
comment on column public.admin_action_logs.action is 'What was done, e.g. approve_generation, reject_generation or update_setting.';
comment on column public.admin_action_logs.target_table is 'Table of the object acted upon.';
comment on column public.admin_action_logs.target_id is 'Identifier of the object acted upon, as text.';
comment on column public.admin_action_logs.reason is 'The reason the admin gave, shown to the affected user where relevant.';
comment on column public.admin_action_logs.details is 'Further facts as JSON: a setting''s old and new value, or via = studio for a decision taken from Studio.';
comment on column public.admin_action_logs.created_at is 'When the action was taken.';

comment on table public.api_request_logs is
  'One line per API request, written by the API''s request-logging scope (service role) for usage and performance statistics; users read their own lines, admins all; rows are never rewritten.';
comment on column public.api_request_logs.id is 'Sequence number of the log line.';
comment on column public.api_request_logs.request_id is 'The request''s id, also returned to the client, to correlate a user''s report with the logs.';
comment on column public.api_request_logs.user_id is 'The signed-in user who made the request; null for anonymous requests and erased accounts.';
comment on column public.api_request_logs.method is 'HTTP method of the request.';
comment on column public.api_request_logs.route is 'The matched route pattern (e.g. /datasets/:id), not the raw path, so statistics group by endpoint.';
comment on column public.api_request_logs.status is 'HTTP status of the response.';
comment on column public.api_request_logs.duration_ms is 'Time the API took to answer, in milliseconds.';
comment on column public.api_request_logs.bytes_in is 'Size of the request body in bytes.';
comment on column public.api_request_logs.bytes_out is 'Size of the response body in bytes.';
comment on column public.api_request_logs.error_code is 'The envelope''s error code (e.g. VALIDATION_ERROR) when the request failed.';
comment on column public.api_request_logs.created_at is 'When the request was handled.';

comment on table public.generation_requests is
  'A request to train a model on a dataset and sample a synthetic table: the job queue of the platform; users create and cancel, runners and admins decide everything else.';
comment on column public.generation_requests.id is 'Identifier of the request.';
comment on column public.generation_requests.owner_id is 'The user who asked; only their own datasets can be used.';
comment on column public.generation_requests.dataset_id is 'The ready dataset to train on; null once a finished job''s dataset was deleted (the history stays).';
comment on column public.generation_requests.model_type is 'Model to train: ctgan, tvae or gaussian_copula.';
comment on column public.generation_requests.model_config is 'Hyperparameters of the model, validated by validate_model_config() and capped by the platform.';
comment on column public.generation_requests.optimization_config is 'Optional hyperparameter search (method, search_space, budget, metric) run before the final fit; the budget is written out in full on insert.';
comment on column public.generation_requests.sample_size is 'Number of synthetic rows wanted, at most the platform''s max_sample_size.';
comment on column public.generation_requests.output_format is 'Format of the synthetic table: csv, json, xlsx or parquet.';
comment on column public.generation_requests.seed is 'Random seed, so the same request on the same data samples the same rows.';
comment on column public.generation_requests.status is 'Job state: pending_approval, queued, running, succeeded, failed, canceled or rejected; transitions are enforced by a trigger.';
comment on column public.generation_requests.progress is 'Progress the runner reports while training (epoch, losses, ETA), throttled to about one update per second.';
comment on column public.generation_requests.attempts is 'How many times a runner has claimed the job.';
comment on column public.generation_requests.max_attempts is 'Claims allowed before the job fails for good, copied from job_max_attempts at insert.';
comment on column public.generation_requests.run_after is 'Earliest time a runner may claim the job (later after a transient failure, as backoff).';
comment on column public.generation_requests.locked_by is 'Runner holding the job''s lease, null when not leased.';
comment on column public.generation_requests.locked_until is 'When the lease expires unless renewed; an expired lease puts the job back in the queue.';
comment on column public.generation_requests.cancel_requested is 'Set by the owner to cancel: a job not yet started is canceled at once, a running one by its runner; cannot be withdrawn.';
comment on column public.generation_requests.result_paths is 'Storage paths of the results (synthetic table, model artifact, report), written by the runner on success.';
comment on column public.generation_requests.quality_summary is 'Summary of the quality and privacy evaluation of the synthetic table, for lists and dashboards.';
comment on column public.generation_requests.error is 'Why the job failed, as a JSON error.';
comment on column public.generation_requests.approved_by is 'The admin who approved the request (never its owner).';
comment on column public.generation_requests.approved_at is 'When the request was approved.';
comment on column public.generation_requests.rejected_by is 'The admin who rejected the request (never its owner).';
comment on column public.generation_requests.rejected_at is 'When the request was rejected.';
comment on column public.generation_requests.decision_reason is 'The reason the admin gave for approving or rejecting.';
comment on column public.generation_requests.started_at is 'When a runner first started the job, set by a trigger.';
comment on column public.generation_requests.finished_at is 'When the job reached a final state, set by a trigger.';
comment on column public.generation_requests.created_at is 'When the request was made.';
comment on column public.generation_requests.updated_at is 'When the row last changed, kept by a trigger.';

comment on table public.optimization_runs is
  'A hyperparameter optimisation: a search over a space with a method and a budget, on its own or for a generation request; a queue item whose trials are queue items of their own.';
comment on column public.optimization_runs.id is 'Identifier of the run.';
comment on column public.optimization_runs.owner_id is 'The user who asked; only their own datasets and requests can be used.';
comment on column public.optimization_runs.dataset_id is 'The ready dataset the trials train on; null once a finished run''s dataset was deleted.';
comment on column public.optimization_runs.generation_request_id is 'The generation request this run tunes, if any (it then shares that request''s active-job slot).';
comment on column public.optimization_runs.model_type is 'Model whose hyperparameters are searched: ctgan, tvae or gaussian_copula.';
comment on column public.optimization_runs.method is 'Search method: grid, random or bayesian.';
comment on column public.optimization_runs.search_space is 'Per hyperparameter, a list of values or a {min, max, log} range, validated by validate_search_space().';
comment on column public.optimization_runs.budget is 'What the run may spend (max_trials, max_wall_time_seconds), written out in full and capped on insert.';
comment on column public.optimization_runs.metric is 'The score trials are ranked by (default quality_overall).';
comment on column public.optimization_runs.seed is 'Random seed of the search, so a run can be repeated.';
comment on column public.optimization_runs.status is 'Job state: pending_approval, queued, running, succeeded, failed, canceled or rejected; transitions are enforced by a trigger.';
comment on column public.optimization_runs.trials_completed is 'Number of trials finished so far.';
comment on column public.optimization_runs.best_trial_id is 'The best trial so far.';
comment on column public.optimization_runs.best_params is 'Hyperparameters of the best trial so far.';
comment on column public.optimization_runs.best_score is 'Score of the best trial so far.';
comment on column public.optimization_runs.attempts is 'How many times a runner has claimed the run.';
comment on column public.optimization_runs.run_after is 'Earliest time a runner may claim the run (later after a transient failure, as backoff).';
comment on column public.optimization_runs.locked_by is 'Runner holding the run''s lease, null when not leased.';
comment on column public.optimization_runs.locked_until is 'When the lease expires unless renewed; an expired lease puts the run back in the queue.';
comment on column public.optimization_runs.cancel_requested is 'Set by the owner to cancel: a run not yet started is canceled at once, a running one by its runner; cannot be withdrawn.';
comment on column public.optimization_runs.error is 'Why the run failed, as a JSON error.';
comment on column public.optimization_runs.started_at is 'When a runner first started the run, set by a trigger.';
comment on column public.optimization_runs.finished_at is 'When the run reached a final state, set by a trigger.';
comment on column public.optimization_runs.created_at is 'When the run was created.';
comment on column public.optimization_runs.updated_at is 'When the row last changed, kept by a trigger.';

comment on table public.optimization_trials is
  'One fit and evaluation of an optimisation run with one set of hyperparameters; trials are queue items so several runners can evaluate one run in parallel; created and scored by runners, watched by owners.';
comment on column public.optimization_trials.id is 'Identifier of the trial.';
comment on column public.optimization_trials.run_id is 'The optimisation run the trial belongs to.';
comment on column public.optimization_trials.owner_id is 'Owner of the run (repeated here for RLS and kept equal by a composite foreign key).';
comment on column public.optimization_trials.trial_number is 'Position of the trial in its run, unique per run.';
comment on column public.optimization_trials.params is 'The hyperparameters this trial fits with.';
comment on column public.optimization_trials.status is 'Trial state: queued, running, succeeded, failed or canceled.';
comment on column public.optimization_trials.score is 'The run''s metric measured on this trial.';
comment on column public.optimization_trials.metrics is 'Every metric measured on this trial.';
comment on column public.optimization_trials.progress is 'Progress the runner reports while fitting (epoch, losses).';
comment on column public.optimization_trials.duration_ms is 'How long the trial took, in milliseconds.';
comment on column public.optimization_trials.attempts is 'How many times a runner has claimed the trial.';
comment on column public.optimization_trials.run_after is 'Earliest time a runner may claim the trial.';
comment on column public.optimization_trials.locked_by is 'Runner holding the trial''s lease, null when not leased.';
comment on column public.optimization_trials.locked_until is 'When the lease expires unless renewed; an expired lease puts the trial back in the queue.';
comment on column public.optimization_trials.cancel_requested is 'Asks the trial''s runner to stop (set by the service role, e.g. when the trial''s run is canceled).';
comment on column public.optimization_trials.error is 'Why the trial failed, as a JSON error.';
comment on column public.optimization_trials.started_at is 'When a runner first started the trial, set by a trigger.';
comment on column public.optimization_trials.finished_at is 'When the trial reached a final state, set by a trigger.';
comment on column public.optimization_trials.created_at is 'When the trial was created.';
comment on column public.optimization_trials.updated_at is 'When the row last changed, kept by a trigger.';

comment on table public.notifications is
  'In-app notifications of a user (job outcomes, approvals, dataset validation, system messages), streamed through Realtime and optionally pushed to their devices.';
comment on column public.notifications.id is 'Identifier of the notification.';
comment on column public.notifications.user_id is 'The recipient; only they read, mark or delete it.';
comment on column public.notifications.kind is 'What happened, e.g. generation_succeeded or dataset_invalid, so clients choose icon and link.';
comment on column public.notifications.title is 'Short text shown in the list and in pushes.';
comment on column public.notifications.body is 'Longer text, optional.';
comment on column public.notifications.data is 'What the notification is about as JSON (e.g. the job''s id and status), for the client to link to it.';
comment on column public.notifications.read_at is 'When the recipient marked it read; null while unread.';
comment on column public.notifications.pushed_at is 'When it was sent as a push notification; null while not (yet) pushed.';
comment on column public.notifications.created_at is 'When the notification was created.';

comment on table public.push_tokens is
  'Push notification tokens of users'' devices; a token belongs to one user at a time (registering it moves it from its previous user).';
comment on column public.push_tokens.id is 'Identifier of the registration.';
comment on column public.push_tokens.user_id is 'The user the device is signed in as.';
comment on column public.push_tokens.token is 'The push service''s device token, unique per user.';
comment on column public.push_tokens.platform is 'Push platform of the device: ios, android or web.';
comment on column public.push_tokens.device_name is 'Name of the device, for the user to recognise it.';
comment on column public.push_tokens.created_at is 'When the device was registered.';
comment on column public.push_tokens.last_seen_at is 'When the app last confirmed the token, so stale tokens can be dropped.';

comment on table public.api_rate_limits is
  'API rate-limit counters shared by every API isolate: one row per user, bucket and fixed window, written only by take_rate_limit(); no user may read or write it.';
comment on column public.api_rate_limits.user_id is 'The user whose requests are counted.';
comment on column public.api_rate_limits.bucket is 'Which limit is counted (e.g. uploads or generation), chosen by the API.';
comment on column public.api_rate_limits.window_start is 'Start of the fixed window, a multiple of the window length since the epoch.';
comment on column public.api_rate_limits.hits is 'Allowed hits in this window so far (refused hits are not counted).';

comment on table public.runner_heartbeats is
  'Liveness of training runners: each runner upserts its row every few seconds (service role), so admins see who serves the queue; a runner whose row is old is gone.';
comment on column public.runner_heartbeats.runner_id is 'The runner''s id, the same value it writes to locked_by of the jobs it leases.';
comment on column public.runner_heartbeats.started_at is 'When the runner process started.';
comment on column public.runner_heartbeats.last_seen_at is 'The runner''s latest heartbeat; admin_system_stats() counts runners seen in the last 5 minutes.';
comment on column public.runner_heartbeats.running_jobs is 'Jobs the runner is executing at its latest heartbeat.';
comment on column public.runner_heartbeats.version is 'Version of the runner''s code, to spot runners left on an old release.';
comment on column public.runner_heartbeats.details is 'Further facts the runner reports as JSON (host, backend, capacity).';

-- Views ---------------------------------------------------------------------------------------------------
comment on view public.admin_queue is
  'Active jobs of both queues (generation requests and optimisation runs: pending approval, queued, running) for Studio; security invoker, so admins see every job and anyone else their own.';
comment on column public.admin_queue.id is 'Identifier of the job in its table.';
comment on column public.admin_queue.kind is 'Which queue: generation (generation_requests) or optimization (optimization_runs).';
comment on column public.admin_queue.owner_id is 'The user who asked for the job.';
comment on column public.admin_queue.status is 'pending_approval, queued or running.';
comment on column public.admin_queue.attempts is 'How many times a runner has claimed the job.';
comment on column public.admin_queue.run_after is 'Earliest time a runner may claim the job.';
comment on column public.admin_queue.locked_by is 'Runner holding the lease, if any.';
comment on column public.admin_queue.locked_until is 'When the lease expires unless renewed.';
comment on column public.admin_queue.created_at is 'When the job was created.';
comment on column public.admin_queue.started_at is 'When a runner first started it; null while waiting.';
comment on column public.admin_queue.wait_seconds is 'Seconds the job waited for a runner: from creation to its first start, or to now while not started.';
comment on column public.admin_queue.lease_expired is 'Running but the lease has expired: its runner stopped renewing, and the job will be reclaimed.';

comment on view public.admin_usage_daily is
  'Platform usage per UTC day for Studio (API requests, users, server errors, generation requests, rows delivered); security invoker, so admins see the platform and anyone else their own usage.';
comment on column public.admin_usage_daily.day is 'The UTC day.';
comment on column public.admin_usage_daily.requests is 'API requests handled that day.';
comment on column public.admin_usage_daily.users is 'Distinct signed-in users who made API requests that day.';
comment on column public.admin_usage_daily.errors is 'API requests answered with a server error (status 500 or above) that day.';
comment on column public.admin_usage_daily.generation_requests is 'Generation requests created that day.';
comment on column public.admin_usage_daily.rows_generated is 'Synthetic rows delivered that day: sample_size of the generation requests that succeeded that day.';

-- Functions -----------------------------------------------------------------------------------------------
comment on function public.is_admin() is
  'True when the request''s JWT carries app_metadata.role = admin (only the service role can set app_metadata; user_metadata never counts); false without a JWT, e.g. in Studio''s SQL editor.';
comment on function public.is_active() is
  'True when the account behind auth.uid() exists, is not banned now and is not soft-deleted; every table''s restrictive policy requires it, so a ban takes effect on the next request.';
comment on function public.set_updated_at() is
  'Trigger: keeps updated_at at the time of the latest change.';
comment on function public.enforce_status_transition() is
  'Trigger: refuses a status change that is not one of the from>to transitions passed as arguments, so each table''s state machine reads at its trigger.';
comment on function public.forbid_change() is
  'Trigger: refuses every change, making a log table append-only for everyone, the service role included.';
comment on function public.forbid_change_except_erasure() is
  'Trigger: keeps a log append-only except for the one change an account erasure makes, setting the erased user''s id to null.';
comment on function public.wake_runner(text, uuid) is
  'Wakes training runners for a job: pg_notify on synth_jobs always, plus a Database Webhook through pg_net where the project configured one; a hint only, runners also poll.';
comment on function public.wake_runner_on_status() is
  'Trigger: calls wake_runner() when a row enters the status named by its arguments (kind, status).';
comment on function public.handle_cancel_request() is
  'Trigger: makes cancel_requested irreversible and cancels at once a job that has not started.';
comment on function public.job_status_times() is
  'Trigger: sets started_at and finished_at from the status and clears the lease of a finished job, so times and lease cannot disagree with the status.';
comment on function public.profiles_consent_time() is
  'Trigger: records when notification consent was given and clears the time when it is withdrawn.';
comment on function public.handle_new_user() is
  'Trigger on auth.users: creates the profile of a new user, named from the sign-up metadata or the e-mail address.';
comment on function public.setting_bigint(text, bigint) is
  'A platform setting read as bigint, or the fallback when it is not set; for triggers and functions running as users.';
comment on function public.setting_bool(text, boolean) is
  'A platform setting read as boolean, or the fallback when it is not set; for triggers and functions running as users.';
comment on function public.platform_settings_log_change() is
  'Trigger: logs every change of a setting''s value to admin_action_logs in the same transaction, with the old and new value.';
comment on function public.platform_settings_spec() is
  'The type and bounds of every platform setting; keys not listed are refused.';
comment on function public.platform_settings_validate() is
  'Trigger: refuses an unknown setting or a value of the wrong type or out of bounds, so readers never fail on a bad value.';
comment on function public.generation_requests_before_insert() is
  'Trigger: applies the platform''s limits to a new request (rows, configs, ready dataset, active jobs), copies max_attempts and decides whether it waits for approval.';
comment on function public.optimization_runs_before_insert() is
  'Trigger: validates a new run''s search space and budget, requires a ready dataset, applies the active-jobs limit and decides whether it waits for approval.';
comment on function public.notify_job_outcome() is
  'Trigger: writes the owner a notification when a job or dataset reaches an outcome, in the same transaction as the status change.';
comment on function public.model_config_spec() is
  'The hyperparameters of each model with their types and bounds, mirroring the models'' zod schemas; the source of the config validators.';
comment on function public.search_space_max_choices() is
  'Most values one search-space dimension may list (100).';
comment on function public.spec_maximum(jsonb) is
  'The upper bound in force for a numeric spec: its platform setting when it names one, otherwise its constant maximum.';
comment on function public.check_config_value(text, jsonb, jsonb) is
  'Checks one value against one spec entry and returns the problems found, each prefixed with its path.';
comment on function public.validate_model_config(text, jsonb) is
  'Validates a model''s hyperparameters as a whole and returns the problems (empty when valid); used by the insert triggers and callable by the API for the same answer.';
comment on function public.validate_search_space(text, jsonb) is
  'Validates an optimisation search space value by value against the model''s spec and returns the problems (empty when valid).';
comment on function public.optimization_budget_spec() is
  'The keys and bounds of an optimisation budget (max_trials, max_wall_time_seconds), capped by platform settings.';
comment on function public.validate_optimization_budget(jsonb) is
  'Validates an optimisation budget and returns the problems (empty when valid).';
comment on function public.complete_optimization_budget(jsonb) is
  'The budget with every bound written out, missing ones at the platform maximum, so runners always read explicit caps.';
comment on function public.validate_optimization_config(text, jsonb) is
  'Validates generation_requests.optimization_config (method, search_space, budget, metric) and returns the problems (empty when valid).';
comment on function public.raise_config_problems(text, text[]) is
  'Raises one check_violation naming every problem, with the problems as a JSON array in DETAIL for the API; does nothing when there are none.';
comment on function public.enforce_active_job_limit(uuid) is
  'Refuses a new job when its owner already has max_active_jobs_per_user active jobs, under a per-owner advisory lock so concurrent inserts cannot both take the last slot.';
comment on function public.require_ready_dataset(uuid, uuid) is
  'Refuses a new job without a dataset or on a dataset that is not ready.';
comment on function public.is_safe_object_path(text) is
  'True for a storage object name that is safe everywhere: 1 to 1024 bytes, no empty, . or .. segment, no backslash or control character, segments at most 255 bytes.';
comment on function public.is_registered_dataset_object(text, text) is
  'True when a storage object is the file of a registered dataset, which storage policies then keep immutable; answers the same whatever the caller may see.';
comment on function public.datasets_guard_column_metadata() is
  'Trigger: refuses column_metadata edits while the dataset is being validated, so the profile matches the metadata the runner read.';
comment on function public.datasets_before_delete() is
  'Trigger: refuses deleting a dataset that has active jobs (cancel them first), except when its owner is being erased.';
comment on function public.push_tokens_claim_device() is
  'Trigger: when a user registers a device token, removes other users'' rows for it, so pushes reach only the account signed in on the device.';
comment on function public.take_rate_limit(text, integer, integer) is
  'Takes one hit of a rate-limit bucket for the calling user in a fixed window of window_seconds: returns 0 when allowed, otherwise the seconds until the window ends (Retry-After), without counting the refused hit.';
comment on function public.api_route_stats(timestamptz, boolean) is
  'Per route and method since a time: requests, server errors (5xx), client errors (4xx), error rate and p50/p95/p99 latency; the caller''s own requests, or with only_mine = false every line RLS lets them read (all for admins).';
comment on function public.usage_by_day(date) is
  'The caller''s own usage per UTC day from since to today, zeros included: API requests, generation requests, synthetic rows delivered and datasets registered.';
comment on function public.admin_system_stats() is
  'The admins'' overview as one JSON document: users (total, disabled), jobs per status, queue wait p50/p95, storage bytes per bucket and the runners seen in the last 5 minutes; active admins only.';
comment on function public.record_generation_decision(uuid, boolean, text, uuid, jsonb) is
  'Internal: applies an approval or rejection of a pending generation request for a given admin and logs it in the same transaction; reached only through decide_generation_request() and studio_decide_generation_request().';
comment on function public.decide_generation_request(uuid, boolean, text) is
  'Approves (approve = true) or rejects a generation request waiting for approval, logged under the calling admin: the API''s path, for an active admin''s JWT, never on the admin''s own request. In Studio''s SQL editor (role postgres, no JWT) is_admin() is false, so it refuses there: use select public.studio_decide_generation_request(''<request id>'', true, ''<reason>'', ''<your admin user id>''); instead.';
comment on function public.studio_decide_generation_request(uuid, boolean, text, uuid) is
  'Approves or rejects a pending generation request from Studio''s SQL editor on behalf of admin_id, which must be an active admin in auth.users: select public.studio_decide_generation_request(''<request id>'', true, ''looks fine'', ''<your admin user id>''); callable by postgres and the service role only, logged under that admin with via = studio.';
