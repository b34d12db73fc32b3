//! Running one job per input, a few at a time, and recording each result as it finishes.
//!
//! Batch lookup and manifest ingest both work through thousands of files. Both need the same
//! three things: at most `concurrency` jobs at once, so the client's decoding and the server's
//! load stay bounded; each result recorded the moment its job finishes, not in input order, so
//! an interrupted run keeps everything it finished; and a progress bar for the person waiting.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Runs `job` for every input, at most `concurrency` at once, and hands each result to `record`
/// in the order the jobs finish. An error from `record` stops the run.
pub async fn run_each<Input, Output, Job>(
    inputs: impl ExactSizeIterator<Item = Input>,
    concurrency: usize,
    job: impl Fn(Input) -> Job,
    mut record: impl FnMut(Output) -> anyhow::Result<()>,
) -> anyhow::Result<()>
where
    Job: Future<Output = Output> + Send + 'static,
    Output: Send + 'static,
{
    let progress = progress_bar(inputs.len() as u64);
    let mut finished = |output: Output| {
        progress.inc(1);
        record(output)
    };
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    for input in inputs {
        let slot = Arc::clone(&slots).acquire_owned().await?;
        let work = job(input);
        running.spawn(async move {
            let output = work.await;
            drop(slot);
            output
        });
        // Record what has finished while later inputs wait for a slot.
        while let Some(done) = running.try_join_next() {
            finished(done?)?;
        }
    }
    while let Some(done) = running.join_next().await {
        finished(done?)?;
    }
    progress.finish_and_clear();
    Ok(())
}

/// A bar with rate and ETA on a terminal; nothing at all when stderr is a file or a pipe.
fn progress_bar(length: u64) -> ProgressBar {
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(Some(length), target);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, ETA {eta}").expect("a valid template"),
    );
    bar
}
