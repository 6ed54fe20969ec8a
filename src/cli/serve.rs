//! `sluice serve`: the daemon. Loads every pipeline in the pipelines folder, opens the
//! state store, runs pipelines when their schedules say so and serves the management
//! API until Ctrl-C or SIGTERM; runs going on then are finished before it exits.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use clap::Args;

use super::{PROBLEMS, SUCCESS, USAGE, print_diagnostics, project};
use crate::catalog::{Catalog, pipeline_files};
use crate::daemon::{Daemon, Loader, Reloaded};
use crate::pipeline::Secret;
use crate::schedule::SystemClock;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address the management API listens on (port 0: any free port, logged).
    #[arg(
        long,
        env = "SLUICE_LISTEN",
        default_value = "127.0.0.1:7878",
        value_name = "ADDR"
    )]
    listen: String,
    /// A bearer token the management API then requires (not `/health`, not webhooks).
    #[arg(
        long,
        env = "SLUICE_API_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    api_token: Option<String>,
}

pub fn run(args: ServeArgs, pipelines_dir: &Path, state_path: &Path) -> u8 {
    let files = match pipeline_files(&[pipelines_dir.to_path_buf()]) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return USAGE;
        }
    };
    let Some(toolkit) = project::toolkit() else {
        return USAGE;
    };
    let catalog = Catalog::load(&files, &project::load_context(), &toolkit);
    print_diagnostics(&catalog.diagnostics);
    let broken = catalog.files.saturating_sub(catalog.pipelines.len());
    if broken > 0 {
        eprintln!(
            "warning: {broken} pipeline file{} with errors not served; `sluice validate` lists the problems",
            if broken == 1 { "" } else { "s" }
        );
    }
    let Some(state) = project::open_state(state_path) else {
        return USAGE;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return USAGE;
        }
    };
    runtime.block_on(async {
        let shutdown = shutdown_signal();
        let listener = match tokio::net::TcpListener::bind(&args.listen).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("error: cannot listen on `{}`: {e}", args.listen);
                return USAGE;
            }
        };
        let log = |event: &crate::daemon::Event| {
            eprintln!(
                "{} {event}",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
            );
        };
        let daemon = match Daemon::new(catalog.pipelines, state, Arc::new(SystemClock), log) {
            Ok(daemon) => daemon
                .reload_on_change(pipelines_dir, loader(pipelines_dir))
                .api_token(
                    args.api_token
                        .clone()
                        .filter(|t| !t.is_empty())
                        .map(Secret::new),
                ),
            Err(e) => {
                eprintln!("error: {e}");
                return USAGE;
            }
        };
        match daemon.run(listener, shutdown).await {
            Ok(()) => SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                PROBLEMS
            }
        }
    })
}

/// Loads the pipelines folder again for a hot reload; diagnostics are printed as at
/// start and handed back for `GET /status`.
fn loader(pipelines_dir: &Path) -> Loader {
    let dir = pipelines_dir.to_path_buf();
    Arc::new(move || {
        let files = match pipeline_files(std::slice::from_ref(&dir)) {
            Ok(files) => files,
            Err(message) => {
                return Reloaded {
                    pipelines: Default::default(),
                    errors: vec![message],
                };
            }
        };
        let Some(toolkit) = project::toolkit() else {
            return Reloaded {
                pipelines: Default::default(),
                errors: vec!["the standard library (stdlib/) does not load".to_string()],
            };
        };
        let catalog = Catalog::load(&files, &project::load_context(), &toolkit);
        print_diagnostics(&catalog.diagnostics);
        let errors = catalog
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        Reloaded {
            pipelines: catalog.pipelines,
            errors,
        }
    })
}

/// Listens for Ctrl-C and (on Unix) SIGTERM from now on; the future completes on the
/// first of them. The handlers are installed here, before the daemon listens or starts
/// a run, not when the future is first polled: a signal that arrives as soon as the
/// first run begins is then a graceful stop, never the default action (death). Must be
/// called inside the runtime.
#[cfg(unix)]
fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    async fn first(signal: Option<Signal>) {
        match signal {
            Some(mut signal) => {
                signal.recv().await;
            }
            // Not installable: this way of stopping is unavailable, the other remains.
            None => std::future::pending::<()>().await,
        }
    }
    let interrupt = signal(SignalKind::interrupt()).ok();
    let terminate = signal(SignalKind::terminate()).ok();
    async move {
        tokio::select! {
            () = first(interrupt) => {}
            () = first(terminate) => {}
        }
    }
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
