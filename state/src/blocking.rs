//! Blocking calls into an asynchronous client: [`Driver`] runs a current-thread tokio
//! runtime on its own thread, and [`Driver::run`] hands it a future and waits for the
//! answer on a plain channel.
//!
//! [`Backend`](crate::Backend) methods are blocking, and the engine calls them from
//! inside its own runtime (in `block_in_place`) as well as from plain threads. Blocking
//! on another runtime there would panic; waiting on a channel never does.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::thread;

use tokio::sync::mpsc as async_mpsc;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A thread running a tokio runtime for one backend's client.
///
/// Cheap to clone; the thread stops when the last clone is dropped (its connections
/// are closed with it).
#[derive(Debug, Clone)]
pub struct Driver {
    jobs: async_mpsc::UnboundedSender<Job>,
}

impl Driver {
    /// Starts the thread, named `name`.
    pub fn start(name: &str) -> std::io::Result<Driver> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (jobs, mut queue) = async_mpsc::unbounded_channel::<Job>();
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job);
                    }
                });
            })?;
        Ok(Driver { jobs })
    }

    /// Runs `future` on the driver's runtime and waits for its output. Futures of
    /// concurrent calls run concurrently.
    ///
    /// # Panics
    /// Never by itself; if the driver thread is gone (it panicked), the call panics with
    /// a message saying so, since no answer can come.
    pub fn run<T, F>(&self, future: F) -> T
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::pin(async move {
            let _ = tx.send(future.await);
        });
        if self.jobs.send(job).is_err() {
            panic!("the state backend's driver thread has stopped");
        }
        rx.recv()
            .expect("the state backend's driver thread has stopped")
    }

    /// Spawns `future` on the driver's runtime without waiting for it (a connection's
    /// background task).
    pub fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let _ = self.jobs.send(Box::pin(future));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_futures_from_plain_threads_and_from_inside_another_runtime() {
        let driver = Driver::start("test-driver").unwrap();
        assert_eq!(driver.run(async { 1 + 1 }), 2);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let d = driver.clone();
        let answer = rt.block_on(async move { d.run(async { "inside" }) });
        assert_eq!(answer, "inside");
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let d = driver.clone();
                thread::spawn(move || d.run(async move { i * 10 }))
            })
            .collect();
        let sum: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 60);
    }
}
