// Sign up, upload a table, generate a synthetic copy, watch it train, download it: with supabase-js only.
// The same code runs against `npx synth serve` and against a hosted Supabase project running synth:
//   SUPABASE_URL=... SUPABASE_ANON_KEY=... node examples/platform-client.mjs examples/penguins.csv
import { createClient } from "@supabase/supabase-js";
import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { WebSocket } from "ws"; // only for Node 20: Node 22 has a global WebSocket

const supabase = createClient(process.env.SUPABASE_URL, process.env.SUPABASE_ANON_KEY, {
  realtime: { transport: WebSocket },
});
const fail = (step, error) => {
  throw new Error(`${step}: ${error.message ?? error}`);
};

// 1. A user: sign in, or sign up the first time.
const email = process.env.SYNTH_EMAIL ?? `demo-${Date.now()}@example.com`;
const password = process.env.SYNTH_PASSWORD ?? "correct-horse-battery-staple";
let { data: auth, error } = await supabase.auth.signInWithPassword({ email, password });
if (error) ({ data: auth, error } = await supabase.auth.signUp({ email, password }));
if (error) fail("sign-in", error);
const uid = auth.user.id;

// 2. The table goes into the user's folder of the private datasets bucket, then the API registers it.
const file = process.argv[2] ?? "examples/penguins.csv";
const path = `${uid}/${basename(file)}`;
({ error } = await supabase.storage
  .from("datasets")
  .upload(path, await readFile(file), { contentType: "text/csv", upsert: true }));
if (error) fail("upload", error);
const registered = await supabase.functions.invoke("api/upload/register", { body: { path } });
if (registered.error) fail("register", registered.error);
let dataset = registered.data.data;
// Validation and profiling run beside the request (in the runner for large files): wait until it is ready.
while (dataset.status !== "ready") {
  if (dataset.status === "invalid" || dataset.status === "failed")
    fail("validation", dataset.error ?? dataset);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const res = await supabase.functions.invoke(`api/upload/datasets/${dataset.id}`, { method: "GET" });
  if (res.error) fail("dataset", res.error);
  dataset = res.data.data;
}

// 3. Watch the user's requests (row-level security: only theirs arrive), then ask for a generation.
const TERMINAL = ["succeeded", "failed", "canceled", "rejected"];
const latest = new Map();
let jobId = null;
let finish;
const finished = new Promise((resolve) => (finish = resolve));
const show = (row) => {
  const p = row.progress ?? {};
  console.log(`${row.status} ${p.stage ?? ""} ${p.epoch ? `epoch ${p.epoch}/${p.total_epochs}` : ""}`);
  if (TERMINAL.includes(row.status)) finish(row);
};
const channel = supabase
  .channel("my-generations")
  .on(
    "postgres_changes",
    { event: "UPDATE", schema: "public", table: "generation_requests", filter: `owner_id=eq.${uid}` },
    ({ new: row }) => {
      latest.set(row.id, row);
      if (row.id === jobId) show(row);
    },
  );
await new Promise((resolve, reject) =>
  channel.subscribe((state, err) => {
    if (state === "SUBSCRIBED") resolve();
    else if (state === "CHANNEL_ERROR" || state === "TIMED_OUT") reject(err ?? new Error(state));
  }),
);
const started = await supabase.functions.invoke("api/generation/start", {
  body: {
    dataset_id: dataset.id,
    sample_size: 500,
    model_config: { model_type: "gaussian_copula" },
    output_format: "csv",
    seed: 1,
  },
});
if (started.error) fail("start", started.error);
jobId = started.data.data.id;
console.log(`generation ${jobId}: ${started.data.data.status}`);
if (latest.has(jobId)) show(latest.get(jobId));
const row = await finished;
// removeAllChannels also closes the socket; after removeChannel the client keeps it open for 50 s.
await supabase.removeAllChannels();
if (row.status !== "succeeded") fail("generation", new Error(JSON.stringify(row.error)));

// 4. Results are private too: short-lived signed URLs.
for (const [bucket, object, out] of [
  ["synthetic", row.result_paths.data.csv, "synthetic.csv"],
  ["reports", row.result_paths.html, "report.html"],
]) {
  const { data: link, error: linkError } = await supabase.storage.from(bucket).createSignedUrl(object, 60);
  if (linkError) fail(`signed URL for ${out}`, linkError);
  await writeFile(out, Buffer.from(await (await fetch(link.signedUrl)).arrayBuffer()));
  console.log(`wrote ${out}`);
}
const quality = row.quality_summary?.quality?.allPairs?.overall;
console.log(`quality ${quality === undefined ? "n/a" : quality.toFixed(3)}`);
await supabase.auth.signOut();
