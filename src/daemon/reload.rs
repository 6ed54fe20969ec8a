//! Hot reload: the pipelines folder is watched (recursively: pipeline files, presets,
//! mapping files, Rhai scripts); a burst of changes is debounced into one reload of the
//! whole catalog, which then replaces the served pipelines between runs. A run going on
//! keeps the `Arc<Prepared>` it started with, so it finishes on the old version.
//!
//! A pipeline whose file still exists but no longer loads (an invalid edit, in the file
//! or in a mapping or script it uses) keeps its previous version; the diagnostics go to
//! the log and to `GET /status` (`reload_errors`) until a reload succeeds. A new file is
//! served and scheduled; a deleted file's pipeline is no longer scheduled.
//!
//! notify calls back on its own thread: the callback only sends on an unbounded tokio
//! channel, and the reload itself runs on a blocking thread. The watch is on the folder,
//! not on files, because editors save by renaming a temporary file over the old one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::{Event, Shared, history};
use crate::catalog::Prepared;
use crate::schedule::Spec;

/// How long changes must settle before a reload.
const SETTLE: Duration = Duration::from_millis(300);

/// The extensions of the files a pipeline is made of.
const WATCHED: &[&str] = &["toml", "map", "rhai"];

/// What loading the pipelines folder again gave.
pub struct Reloaded {
    /// The pipelines that loaded without errors, by name.
    pub pipelines: BTreeMap<String, Prepared>,
    /// Every error found, one line each (`file:line:col: error[code]: message`).
    pub errors: Vec<String>,
}

/// Loads the pipelines folder again (the CLI knows how: project root, stdlib).
pub type Loader = Arc<dyn Fn() -> Reloaded + Send + Sync>;

/// The live watch; dropping it stops watching.
pub type Watch = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Starts watching `dir`; each settled change reloads the pipelines with `load`.
pub(super) fn watch(shared: Arc<Shared>, dir: &Path, load: Loader) -> Result<Watch, String> {
    let (send, mut changes) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut debouncer = new_debouncer(SETTLE, None, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        let relevant = events.iter().any(|event| {
            matches!(
                event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) && event.paths.iter().any(|path| is_watched(path))
        });
        if relevant {
            let _ = send.send(());
        }
    })
    .map_err(|e| format!("cannot watch `{}`: {e}", dir.display()))?;
    debouncer
        .watch(dir, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch `{}`: {e}", dir.display()))?;
    tokio::spawn(async move {
        while changes.recv().await.is_some() {
            // Changes that came meanwhile are covered by this reload.
            while changes.try_recv().is_ok() {}
            let load = load.clone();
            let applying = shared.clone();
            let _ = tokio::task::spawn_blocking(move || {
                let reloaded = load();
                apply(&applying, reloaded);
            })
            .await;
            shared.wake.notify_one();
        }
    });
    Ok(debouncer)
}

fn is_watched(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| WATCHED.contains(&e))
}

/// Serves what a reload gave: new and changed pipelines replace the old, a pipeline
/// whose file is gone is dropped, one whose file no longer loads keeps its old version.
fn apply(shared: &Shared, reloaded: Reloaded) {
    let Reloaded { pipelines, errors } = reloaded;
    let mut next: BTreeMap<String, Arc<Prepared>> = pipelines
        .into_iter()
        .map(|(name, prepared)| (name, Arc::new(prepared)))
        .collect();
    let mut kept = Vec::new();
    let mut removed = Vec::new();
    {
        let current = shared.pipelines.read().unwrap_or_else(|p| p.into_inner());
        for (name, old) in current.iter() {
            if next.contains_key(name) {
                continue;
            }
            if old.pipeline.path.exists() {
                next.insert(name.clone(), old.clone());
                kept.push(name.clone());
            } else {
                removed.push(name.clone());
            }
        }
    }
    let mut plans = Vec::new();
    for (name, prepared) in &next {
        let past = shared
            .state
            .pipeline(name)
            .map(|state| history(&state))
            .unwrap_or_default();
        plans.push((name.clone(), Spec::of(&prepared.pipeline), past));
    }
    let served = next.len();
    {
        let mut current = shared.pipelines.write().unwrap_or_else(|p| p.into_inner());
        *current = next;
        shared.planner().reload(plans);
    }
    {
        let mut stored = shared
            .reload_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        stored.clone_from(&errors);
    }
    shared.emit(&Event::Reloaded {
        served,
        kept,
        removed,
        errors,
    });
}

/// The folder a pipelines path names (the path itself when it is a folder).
pub fn folder_of(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    }
}
