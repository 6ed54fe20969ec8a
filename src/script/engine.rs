//! The one place that builds the Rhai engine, with every sandbox limit set. Scripts get
//! Rhai's core language and standard packages and nothing else: no module loading, no
//! `eval`, no output, and bounds on operations, wall-clock time, nesting and data size,
//! so no script can hang, exhaust memory or crash the process.

use std::cell::Cell;
use std::time::{Duration, Instant};

use rhai::module_resolvers::DummyModuleResolver;
use rhai::{Dynamic, Engine, INT};

/// The bounds every script evaluation runs within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The most operations (roughly: expressions and statements) one evaluation may run.
    pub max_operations: u64,
    /// Wall-clock time one evaluation may take.
    pub timeout: Duration,
    /// How deeply script functions may call each other (recursion included).
    pub max_call_levels: usize,
    /// How deeply expressions may nest at top level.
    pub max_expr_depth: usize,
    /// How deeply expressions may nest inside functions.
    pub max_function_expr_depth: usize,
    /// The longest string (in bytes) a script may build.
    pub max_string_size: usize,
    /// The most elements an array may hold.
    pub max_array_size: usize,
    /// The most entries an object map may hold.
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_operations: 1_000_000,
            timeout: Duration::from_secs(1),
            max_call_levels: 32,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_size: 1 << 20,
            max_array_size: 100_000,
            max_map_size: 10_000,
        }
    }
}

/// Symbols a script may not use: `eval` runs text as code (and would escape
/// compile-time checks); `import` loads modules.
pub(crate) const REFUSED_SYMBOLS: [&str; 2] = ["eval", "import"];

thread_local! {
    /// When the evaluation running on this thread started (see [`sandboxed_engine`]).
    static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// How often (in operations) the wall clock is read.
const CLOCK_EVERY: u64 = 256;

/// Builds the sandboxed engine. Share it (it is `Send + Sync`) in an `Arc`; evaluate
/// each script with a fresh `Scope`.
///
/// The wall-clock deadline needs no set-up by callers: Rhai counts operations from 1 in
/// every evaluation (`eval_*`, `call_fn`), and the progress callback notes the time at
/// the first operation, then compares against it every few hundred operations. A script
/// stopped by the deadline fails with `ErrorTerminated` carrying the timeout in
/// milliseconds.
pub fn sandboxed_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    sandbox(&mut engine, limits);
    engine
}

/// Sets every sandbox limit and refusal on `engine`.
fn sandbox(engine: &mut Engine, limits: &Limits) {
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_modules(0)
        .set_strict_variables(true)
        .set_module_resolver(DummyModuleResolver::new());
    for symbol in REFUSED_SYMBOLS {
        engine.disable_symbol(symbol);
    }
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    let timeout = limits.timeout;
    let timeout_ms = INT::try_from(timeout.as_millis()).unwrap_or(INT::MAX);
    engine.on_progress(move |operations| {
        if operations == 1 {
            STARTED.with(|started| started.set(Some(Instant::now())));
            return None;
        }
        if operations % CLOCK_EVERY != 0 {
            return None;
        }
        let late = STARTED.with(|started| started.get().is_some_and(|t| t.elapsed() > timeout));
        late.then(|| Dynamic::from_int(timeout_ms))
    });
}

/// The sandboxed engine of a catalog's scripts, made in two parts. Compiling needs the
/// parser and the sandbox's settings only: [`compiler`](Self::compiler), without Rhai's
/// packages, is made at once and costs next to nothing. Running needs the packages:
/// [`runner`](Self::runner), a [`sandboxed_engine`] (~1 ms to make, on the path of every
/// command that prepares pipelines), is made when a script first runs, so a run whose
/// pipeline has no script never makes it.
pub struct Sandbox {
    limits: Limits,
    compiler: Engine,
    runner: std::sync::OnceLock<Engine>,
}

impl Sandbox {
    pub fn new(limits: &Limits) -> Sandbox {
        let mut compiler = Engine::new_raw();
        sandbox(&mut compiler, limits);
        Sandbox {
            limits: limits.clone(),
            compiler,
            runner: std::sync::OnceLock::new(),
        }
    }

    /// The engine to compile scripts and expressions with.
    pub fn compiler(&self) -> &Engine {
        &self.compiler
    }

    /// The engine to run them with (made on the first call).
    pub fn runner(&self) -> &Engine {
        self.runner.get_or_init(|| sandboxed_engine(&self.limits))
    }

    /// Whether the engine to run scripts with was made.
    pub fn is_running(&self) -> bool {
        self.runner.get().is_some()
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("limits", &self.limits)
            .field("running", &self.is_running())
            .finish()
    }
}

/// Runs a script evaluation with room on the stack: Rhai recurses once per call level
/// and nesting level, with large frames in debug builds, and evaluations may start deep
/// inside the mapping evaluator. At the default 32 call levels a debug build needs about
/// 1.5 MiB; when less than 4 MiB is left, the evaluation runs on a fresh 8 MiB segment.
pub(crate) fn with_stack<T>(f: impl FnOnce() -> T) -> T {
    const RED_ZONE: usize = 4 << 20;
    const NEW_STACK: usize = 8 << 20;
    stacker::maybe_grow(RED_ZONE, NEW_STACK, f)
}
