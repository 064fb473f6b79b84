//! A cloneable shutdown signal handed to every service and background task.
//!
//! It only signals; it does not track or join tasks. Owners keep their `JoinHandle`s and wait on
//! them after triggering.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// Signals that shutdown has started.
///
/// Cheap to clone; every clone sees the same signal. The binary creates one, triggers it on
/// SIGTERM or Ctrl-C, and passes clones to each service's `run` and to
/// [`serve_admin`](crate::serve_admin). Waiting is cancel-safe, so it can sit in a
/// `tokio::select!` branch (put it first with `biased;` when shutdown must win).
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// Creates an untriggered signal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts shutdown: every clone and child sees it. Triggering twice is harmless.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Tells whether shutdown has started.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once shutdown has started; at once if it already has.
    pub async fn wait(&self) {
        self.token.cancelled().await;
    }

    /// Returns a `'static` future resolving once shutdown has started, e.g. for
    /// [`serve_admin`](crate::serve_admin).
    pub fn wait_owned(self) -> impl Future<Output = ()> + Send + 'static {
        self.token.cancelled_owned()
    }

    /// Returns a signal triggered with this one that can also be triggered alone, e.g. to stop one
    /// service of several.
    pub fn child(&self) -> Shutdown {
        Self {
            token: self.token.child_token(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clones_see_trigger_and_wait_resolves() {
        let shutdown = Shutdown::new();
        let clone = shutdown.clone();
        assert!(!clone.is_triggered());
        let waiter = tokio::spawn(clone.clone().wait_owned());
        shutdown.trigger();
        assert!(clone.is_triggered());
        clone.wait().await;
        waiter.await.unwrap();
    }

    #[tokio::test]
    async fn child_follows_parent_but_not_the_other_way() {
        let parent = Shutdown::new();
        let child = parent.child();
        child.trigger();
        assert!(child.is_triggered());
        assert!(!parent.is_triggered());

        let other_child = parent.child();
        parent.trigger();
        other_child.wait().await;
        assert!(other_child.is_triggered());
    }
}
