//! Links between pipelines: `link("sessions")` in a mapping gives the destination id that
//! pipeline `sessions` wrote for a source id. The ids live in the sync state; the engine
//! installs a [`Links`] for the duration of a run with [`with_links`], and the link
//! functions read it from there. Outside a run (`sluice map`) there is none, and a link
//! makes the record invalid with a message saying so.

use std::cell::RefCell;
use std::rc::Rc;

/// Where link functions find destination ids.
pub trait Links {
    /// The destination id `pipeline` wrote for `source_id`: `Ok(None)` when it has no
    /// record of that id, `Err` when the store cannot be read.
    fn destination_id(&self, pipeline: &str, source_id: &str) -> Result<Option<String>, String>;
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<dyn Links>>> = const { RefCell::new(None) };
}

/// Runs `f` with `links` as the place link functions look ids up, on this thread; the
/// previous one (if any) is back afterwards, even if `f` panics.
pub fn with_links<R>(links: Rc<dyn Links>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Rc<dyn Links>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|current| *current.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|current| current.borrow_mut().replace(links));
    let _restore = Restore(previous);
    f()
}

/// Looks `source_id` up in `pipeline`'s links; `Err` says why it cannot.
pub(crate) fn lookup(pipeline: &str, source_id: &str) -> Result<Option<String>, String> {
    let links = CURRENT.with(|current| current.borrow().clone());
    match links {
        Some(links) => links.destination_id(pipeline, source_id),
        None => Err(format!(
            "no sync state to read the links of pipeline `{pipeline}` from (links work in \
             pipeline runs and dry runs, not in `sluice map`)"
        )),
    }
}
