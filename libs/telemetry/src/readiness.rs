//! Readiness flags that services flip and `/readyz` reports.
//!
//! Liveness (`/healthz`) is not tracked here: it holds while the process answers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Readiness of the components of one process, shared by cheap clones.
///
/// The process is ready when at least one component is registered, every registered component is
/// ready, and [`Readiness::drain`] has not been called.
/// Register each component with `set_ready(name, false)` before serving `/readyz`, so the process
/// does not look ready before its services start.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    components: BTreeMap<String, bool>,
    draining: bool,
}

/// Why the process is not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotReady {
    /// Shutdown has started.
    Draining,
    /// No component has registered yet.
    NoComponents,
    /// These components are not ready, in name order.
    Components(Vec<String>),
}

impl Readiness {
    /// Creates an empty set of flags; the process is not ready until a component registers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records whether `component` is ready, registering it on first use.
    // Named `set_ready` despite the no-`set_` naming rule: it is the readiness-probe term that
    // service code and operators search for, and the flag flips both ways.
    pub fn set_ready(&self, component: &str, ready: bool) {
        let mut state = self.lock();
        match state.components.get_mut(component) {
            Some(flag) => *flag = ready,
            None => {
                state.components.insert(component.to_owned(), ready);
            }
        }
    }

    /// Marks the whole process not ready for good: the first step of graceful shutdown, so load
    /// balancers stop sending work before subscriptions drain.
    pub fn drain(&self) {
        self.lock().draining = true;
    }

    /// Tells whether the process is ready.
    pub fn is_ready(&self) -> bool {
        self.not_ready().is_none()
    }

    /// Returns why the process is not ready, or `None` when it is.
    pub(crate) fn not_ready(&self) -> Option<NotReady> {
        let state = self.lock();
        if state.draining {
            return Some(NotReady::Draining);
        }
        if state.components.is_empty() {
            return Some(NotReady::NoComponents);
        }
        let waiting: Vec<String> = state
            .components
            .iter()
            .filter(|(_, ready)| !**ready)
            .map(|(name, _)| name.clone())
            .collect();
        (!waiting.is_empty()).then_some(NotReady::Components(waiting))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent under any panic: every update is a single assignment.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_every_registered_component_is_ready() {
        let readiness = Readiness::new();
        assert_eq!(readiness.not_ready(), Some(NotReady::NoComponents));
        readiness.set_ready("network", false);
        readiness.set_ready("join", false);
        let clone = readiness.clone();
        assert_eq!(
            clone.not_ready(),
            Some(NotReady::Components(vec!["join".into(), "network".into()]))
        );
        readiness.set_ready("join", true);
        assert_eq!(
            clone.not_ready(),
            Some(NotReady::Components(vec!["network".into()]))
        );
        clone.set_ready("network", true);
        assert!(readiness.is_ready());
        readiness.set_ready("network", false);
        assert!(!readiness.is_ready());
    }

    #[test]
    fn drain_wins_over_ready_components() {
        let readiness = Readiness::new();
        readiness.set_ready("gateway", true);
        assert!(readiness.is_ready());
        readiness.drain();
        readiness.set_ready("gateway", true);
        assert_eq!(readiness.not_ready(), Some(NotReady::Draining));
    }
}
