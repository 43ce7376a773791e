import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The runner's Prometheus metrics, on a registry of its own (several runners can live in one test process). */
export interface RunnerMetrics {
  registry: Registry;
  jobsClaimed: Counter<"kind">;
  jobsSucceeded: Counter<"kind">;
  jobsFailed: Counter<"kind" | "retryable">;
  jobsCanceled: Counter<"kind">;
  jobsLeaseLost: Counter<"kind">;
  leaseRenewFailures: Counter;
  dbErrors: Counter;
  wakeups: Counter<"source">;
  queueWaitSeconds: Histogram<"kind">;
  claimToStartSeconds: Histogram;
  runSeconds: Histogram<"kind" | "outcome">;
  runningJobs: Gauge;
  epochsPerSecond: Gauge;
}

export function createRunnerMetrics(runnerId: string): RunnerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ runner_id: runnerId });
  const r = [registry];
  return {
    registry,
    jobsClaimed: new Counter({
      name: "synth_runner_jobs_claimed_total",
      help: "Jobs claimed",
      labelNames: ["kind"],
      registers: r,
    }),
    jobsSucceeded: new Counter({
      name: "synth_runner_jobs_succeeded_total",
      help: "Jobs completed",
      labelNames: ["kind"],
      registers: r,
    }),
    jobsFailed: new Counter({
      name: "synth_runner_jobs_failed_total",
      help: "Jobs that failed (retryable: handed back for another attempt)",
      labelNames: ["kind", "retryable"],
      registers: r,
    }),
    jobsCanceled: new Counter({
      name: "synth_runner_jobs_canceled_total",
      help: "Jobs canceled while running",
      labelNames: ["kind"],
      registers: r,
    }),
    jobsLeaseLost: new Counter({
      name: "synth_runner_jobs_lease_lost_total",
      help: "Jobs abandoned because their lease was lost (nothing written)",
      labelNames: ["kind"],
      registers: r,
    }),
    leaseRenewFailures: new Counter({
      name: "synth_runner_lease_renew_failures_total",
      help: "Lease renewals that failed (database error or lease lost)",
      registers: r,
    }),
    dbErrors: new Counter({
      name: "synth_runner_db_errors_total",
      help: "Database errors of the claim loop",
      registers: r,
    }),
    wakeups: new Counter({
      name: "synth_runner_wakeups_total",
      help: "Wake-up hints received",
      labelNames: ["source"],
      registers: r,
    }),
    queueWaitSeconds: new Histogram({
      name: "synth_runner_queue_wait_seconds",
      help: "Claim time minus the time the job became claimable",
      labelNames: ["kind"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
      registers: r,
    }),
    claimToStartSeconds: new Histogram({
      name: "synth_runner_claim_to_start_seconds",
      help: "From the claim query's start to the executor's start",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    }),
    runSeconds: new Histogram({
      name: "synth_runner_run_seconds",
      help: "Execution time of a job, by outcome",
      labelNames: ["kind", "outcome"],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400],
      registers: r,
    }),
    runningJobs: new Gauge({ name: "synth_runner_running_jobs", help: "Jobs running now", registers: r }),
    epochsPerSecond: new Gauge({
      name: "synth_runner_epochs_per_second",
      help: "Training epochs per second, summed over the running jobs",
      registers: r,
    }),
  };
}
