//! One run of a two-way pipeline (`mode = "two_way"`), top to bottom: for each user
//! (or once, without users) read both sides → index items by id (invalid items and
//! repeated ids reported) → decide per item (`decide.rs`: the side that changed since
//! the last sync wins, else the newer timestamp) → write each side's changes in one go
//! → remember the synced versions of what was written. A dry run reads and decides
//! and writes nothing. An item whose id appears with an unreadable version on either
//! side is held: nothing is written for it until both sides can be read.

mod decide;
mod sides;

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::Utc;
use serde_json::Value;

use self::decide::{Decision, Version, Which, decide, parse_time};
use self::sides::{SideIo, UserScope};
use super::EngineError;
use super::connect::{self, Context};
use super::identity::{fingerprint, lookup, source_id};
use super::preview::{Preview, Rejected, SideWrite};
use super::run::{RunOptions, RunResult};
use super::source::Item;
use crate::catalog::Prepared;
use crate::formats::Flow;
use crate::pipeline::{Secret, Side, TwoWay, TwoWaySpec, Users};
use crate::report::{Counts, Problem, ProblemKind, Report, RunStatus, SideCounts, Sides};
use crate::state::{State, Synced};

/// Runs the two-way pipeline `prepared` (whose settings are `spec`) once.
pub fn run(
    prepared: &Prepared,
    spec: &TwoWaySpec,
    state: Option<&State>,
    options: &RunOptions,
) -> Result<RunResult, EngineError> {
    let pipeline = &prepared.pipeline;
    let name = pipeline.name.as_str();
    let started_at = Utc::now();
    let base = pipeline.folder().to_path_buf();
    let live = match (options.dry_run, state) {
        (false, Some(state)) => Some(state),
        (false, None) => return Err(EngineError::Setup("a run needs the state store".into())),
        (true, _) => None,
    };
    let ticket = live.map(|state| state.begin_run(name)).transpose()?;
    let run_id = ticket
        .as_ref()
        .map_or_else(|| format!("{name}-dry-run"), |t| t.run_id.clone());
    let cx = Context {
        base: &base,
        started_at,
        zone: chrono_tz::Tz::UTC,
        state,
        cursor: None,
    };

    let mut walk = TwoWayRun {
        name,
        keys: &spec.keys,
        sides: [&spec.left, &spec.right],
        store: state,
        live,
        dry_run: options.dry_run,
        counts: Counts::default(),
        side_counts: Sides::default(),
        problems: Vec::new(),
        preview: Preview::default(),
        fatal: None,
        failed_users: 0,
    };
    let users = match &spec.keys.users {
        None => Ok(vec![(String::new(), None)]),
        Some(users) => read_users(prepared, users, &cx),
    };
    let mut passes = 0;
    match users {
        Ok(users) => {
            for (id, token) in &users {
                passes += 1;
                let scope = UserScope {
                    id,
                    token: token.as_ref(),
                };
                walk.user(prepared, &scope, &cx)?;
            }
        }
        Err(message) => walk.fatal = Some(message),
    }

    let all_failed = passes > 0 && walk.failed_users == passes;
    if let Some(message) = &walk.fatal {
        walk.problem(None, ProblemKind::Error, message.clone());
    }
    let status = if walk.fatal.is_some() || all_failed {
        RunStatus::Failed
    } else if walk.counts.failed > 0 || walk.failed_users > 0 {
        RunStatus::Partial
    } else {
        RunStatus::Succeeded
    };
    let report = Report {
        pipeline: name.to_string(),
        run_id,
        trigger: options.trigger,
        mode: "two_way".to_string(),
        dry_run: options.dry_run,
        status,
        started_at,
        finished_at: Utc::now(),
        counts: walk.counts,
        retries_succeeded: 0,
        problems: std::mem::take(&mut walk.problems),
        sides: Some(walk.side_counts),
    };
    let preview = options.dry_run.then(|| std::mem::take(&mut walk.preview));
    if let Some(state) = live {
        state.finish_run(&report, options.keep_reports)?;
    }
    Ok(RunResult { report, preview })
}

/// The users of a per-user pipeline: the list, or the records of the users' source.
fn read_users(
    prepared: &Prepared,
    users: &Users,
    cx: &Context<'_>,
) -> Result<Vec<(String, Option<Secret>)>, String> {
    let Some(source) = &users.source else {
        return Ok(users
            .list
            .iter()
            .map(|u| (u.id.clone(), Some(u.token.clone())))
            .collect());
    };
    let id_path = match source {
        crate::pipeline::Source::File(f) => f.id.as_str(),
        crate::pipeline::Source::Http(h) => h.id.as_str(),
    };
    let token_path = users.token.as_deref().unwrap_or("token");
    let mut reader =
        connect::open_source_block(prepared, source, cx).map_err(|e| format!("users: {e}"))?;
    let mut out = Vec::new();
    let mut problem = None;
    for unit in reader.units().map_err(|e| format!("users: {e}"))? {
        reader.read(&unit, &mut |item| {
            let record = match item {
                Item::Record(record) => record,
                Item::Doc(record) => record.to_json(),
                Item::Unreadable { location, message } => {
                    problem.get_or_insert_with(|| format!("users: {location}: {message}"));
                    return Flow::Continue;
                }
                Item::UnitFailed { message } => {
                    problem.get_or_insert_with(|| format!("users: {message}"));
                    return Flow::Continue;
                }
            };
            let id = source_id(&record, id_path);
            let token = lookup(&record, token_path)
                .and_then(Value::as_str)
                .filter(|t| !t.trim().is_empty());
            match (id, token) {
                (Some(id), Some(token)) => out.push((id, Some(Secret::new(token.to_string())))),
                // The record is not quoted: it holds a token.
                _ => {
                    problem.get_or_insert_with(|| {
                        format!(
                            "users: a user record lacks its id (`{id_path}`) or token (`{token_path}`)"
                        )
                    });
                }
            }
            Flow::Continue
        });
    }
    match problem {
        Some(message) => Err(message),
        None => Ok(out),
    }
}

/// The state of a two-way run while users are synced.
struct TwoWayRun<'r> {
    name: &'r str,
    keys: &'r TwoWay,
    /// `[left]` and `[right]`.
    sides: [&'r Side; 2],
    /// The state store for reading (a dry run's too, when there is one).
    store: Option<&'r State>,
    /// The state store, except in a dry run.
    live: Option<&'r State>,
    dry_run: bool,
    counts: Counts,
    side_counts: Sides,
    problems: Vec<Problem>,
    preview: Preview,
    fatal: Option<String>,
    /// Users whose sides could not both be read.
    failed_users: usize,
}

/// One side's items for one user.
#[derive(Default)]
struct Held {
    items: HashMap<String, Version>,
    /// Ids with a version that could not be read: nothing is written for them.
    unreadable: HashSet<String>,
}

/// The writes decided for one side.
#[derive(Default)]
struct Plan {
    /// (id, item, counted as created, a tombstone).
    put: Vec<(String, Value, bool, bool)>,
    remove: Vec<String>,
    /// What the state remembers once the write succeeded, by id.
    remember: Vec<(String, Option<Synced>)>,
}

impl TwoWayRun<'_> {
    fn problem(&mut self, id: Option<String>, kind: ProblemKind, message: String) {
        if self.problems.len() < 10_000 {
            self.problems.push(Problem {
                source_id: id,
                kind,
                message,
            });
        }
    }

    /// How reports name an item of `user`.
    fn label(user: &UserScope<'_>, id: &str) -> String {
        if user.id.is_empty() {
            id.to_string()
        } else {
            format!("{}:{id}", user.id)
        }
    }

    fn side_counts(&mut self, which: Which) -> &mut SideCounts {
        match which {
            Which::Left => &mut self.side_counts.left,
            Which::Right => &mut self.side_counts.right,
        }
    }

    /// Syncs one user's items.
    fn user(
        &mut self,
        prepared: &Prepared,
        user: &UserScope<'_>,
        cx: &Context<'_>,
    ) -> Result<(), EngineError> {
        let who = if user.id.is_empty() {
            String::new()
        } else {
            format!("user `{}`: ", user.id)
        };
        let mut io = Vec::with_capacity(2);
        let mut held = Vec::with_capacity(2);
        for which in [Which::Left, Which::Right] {
            let side = self.sides[which as usize];
            let opened = SideIo::open(prepared, side, user, cx).and_then(|mut io| {
                let items = io.read()?;
                Ok((io, items))
            });
            match opened {
                Ok((side_io, items)) => {
                    held.push(self.index(which, user, items));
                    io.push(side_io);
                }
                Err(message) => {
                    // Nothing is written for a user whose sides cannot both be read.
                    self.failed_users += 1;
                    self.problem(
                        None,
                        ProblemKind::Error,
                        format!("{who}{}: {message}", which.name()),
                    );
                    return Ok(());
                }
            }
        }
        let synced = match self.store {
            Some(state) => state.synced(self.name, user.id)?,
            None => HashMap::new(),
        };
        let (left, right) = (&held[0], &held[1]);
        let ids: BTreeSet<&String> = left
            .items
            .keys()
            .chain(right.items.keys())
            .chain(synced.keys())
            .collect();
        let mut plans = [Plan::default(), Plan::default()];
        let mut remember = Vec::new();
        for id in ids {
            if left.unreadable.contains(id) || right.unreadable.contains(id) {
                continue;
            }
            let (l, r) = (left.items.get(id), right.items.get(id));
            let known = synced.get(id);
            match decide(l, r, known) {
                Decision::InSync { remember: change } => {
                    if l.is_some() || r.is_some() {
                        self.counts.received += 1;
                        self.counts.unchanged += 1;
                    }
                    if let Some(change) = change {
                        remember.push((id.clone(), change));
                    }
                }
                Decision::Tie => {
                    self.counts.received += 1;
                    self.counts.skipped += 1;
                    let at = l.map(|v| v.at.to_rfc3339()).unwrap_or_default();
                    self.problem(
                        Some(Self::label(user, id)),
                        ProblemKind::Skipped,
                        format!(
                            "changed on both sides at the same time ({at}) and differently: left as it is"
                        ),
                    );
                }
                Decision::Copy { from, create } => {
                    self.counts.received += 1;
                    let to = from.other();
                    if self.sides[to as usize].read_only() {
                        // A read-only side keeps its own version.
                        self.counts.unchanged += 1;
                        continue;
                    }
                    let Some(winner) = (match from {
                        Which::Left => l,
                        Which::Right => r,
                    }) else {
                        continue;
                    };
                    let both = Synced {
                        left: Some(winner.content.clone()),
                        right: Some(winner.content.clone()),
                    };
                    let plan = &mut plans[to as usize];
                    plan.put
                        .push((id.clone(), winner.record.clone(), create, winner.deleted));
                    plan.remember.push((id.clone(), Some(both)));
                }
                Decision::Remove { on } => {
                    if self.sides[on as usize].read_only() {
                        self.counts.received += 1;
                        self.counts.unchanged += 1;
                        continue;
                    }
                    if !io[on as usize].can_remove() {
                        self.counts.received += 1;
                        self.counts.skipped += 1;
                        self.problem(
                            Some(Self::label(user, id)),
                            ProblemKind::Skipped,
                            format!(
                                "deleted on the {} side, but the {} side (HTTP) takes deletions only as items whose `[two_way] action` says deleted",
                                on.other().name(),
                                on.name()
                            ),
                        );
                        continue;
                    }
                    let plan = &mut plans[on as usize];
                    plan.remove.push(id.clone());
                    plan.remember.push((id.clone(), None));
                }
            }
        }

        for which in [Which::Left, Which::Right] {
            let plan = std::mem::take(&mut plans[which as usize]);
            self.apply(which, &mut io[which as usize], plan, user, &mut remember);
        }
        if let Some(state) = self.live {
            state.put_synced(self.name, user.id, &remember)?;
        }
        Ok(())
    }

    /// Indexes a side's items by id; unreadable items and repeated ids are reported.
    fn index(
        &mut self,
        which: Which,
        user: &UserScope<'_>,
        items: Vec<Result<Value, String>>,
    ) -> Held {
        let mut held = Held::default();
        let side = which.name();
        for item in items {
            self.side_counts(which).read += 1;
            let record = match item {
                Ok(record) => record,
                Err(message) => {
                    self.reject(None, format!("{side}: {message}"));
                    continue;
                }
            };
            let Some(id) = source_id(&record, &self.keys.id) else {
                self.reject(
                    None,
                    format!("{side}: an item has no id (`{}`)", self.keys.id),
                );
                continue;
            };
            let label = Self::label(user, &id);
            if held.items.contains_key(&id) || held.unreadable.contains(&id) {
                self.counts.received += 1;
                self.counts.duplicates += 1;
                self.problem(
                    Some(label.clone()),
                    ProblemKind::Duplicate,
                    format!("{side}: the id appears more than once; the first item counts"),
                );
                if self.dry_run {
                    self.preview.duplicates.push(Rejected {
                        source_id: Some(label),
                        message: format!("{side}: repeated id"),
                    });
                }
                continue;
            }
            let Some(at) = lookup(&record, &self.keys.timestamp).and_then(parse_time) else {
                held.unreadable.insert(id);
                self.reject(
                    Some(label),
                    format!(
                        "{side}: `{}` is missing or not a time; nothing is synced for this item until it is",
                        self.keys.timestamp
                    ),
                );
                continue;
            };
            let deleted = self.keys.action.as_ref().is_some_and(|field| {
                lookup(&record, field)
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.trim().eq_ignore_ascii_case(&self.keys.deleted))
            });
            let mut content = record.clone();
            if let Value::Object(map) = &mut content {
                map.remove(&self.keys.timestamp);
            }
            let content = fingerprint(&content)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            held.items.insert(
                id,
                Version {
                    record,
                    at,
                    content,
                    deleted,
                },
            );
        }
        held
    }

    /// Counts an item that cannot take part.
    fn reject(&mut self, id: Option<String>, message: String) {
        self.counts.received += 1;
        self.counts.invalid += 1;
        if self.dry_run {
            self.preview.invalid.push(Rejected {
                source_id: id.clone(),
                message: message.clone(),
            });
        }
        self.problem(id, ProblemKind::Invalid, message);
    }

    /// Writes one side's plan (or, in a dry run, shows it) and counts the outcome.
    fn apply(
        &mut self,
        which: Which,
        io: &mut SideIo,
        plan: Plan,
        user: &UserScope<'_>,
        remember: &mut Vec<(String, Option<Synced>)>,
    ) {
        if plan.put.is_empty() && plan.remove.is_empty() {
            return;
        }
        let written = if self.dry_run {
            for (id, item, create, tombstone) in &plan.put {
                self.preview.writes.push(SideWrite {
                    side: which.name(),
                    user: (!user.id.is_empty()).then(|| user.id.to_string()),
                    id: id.clone(),
                    change: change_name(*create, *tombstone),
                    item: Some(item.clone()),
                });
            }
            for id in &plan.remove {
                self.preview.writes.push(SideWrite {
                    side: which.name(),
                    user: (!user.id.is_empty()).then(|| user.id.to_string()),
                    id: id.clone(),
                    change: "delete",
                    item: None,
                });
            }
            Ok(())
        } else {
            let put: Vec<&Value> = plan.put.iter().map(|(_, item, ..)| item).collect();
            let remove: Vec<&str> = plan.remove.iter().map(String::as_str).collect();
            io.write(&self.keys.id, &put, &remove)
        };
        match written {
            Ok(()) => {
                for (_, _, create, tombstone) in &plan.put {
                    if *create {
                        self.counts.created += 1;
                    } else {
                        self.counts.updated += 1;
                    }
                    let side = self.side_counts(which);
                    match (*tombstone, *create) {
                        (true, _) => side.deleted += 1,
                        (false, true) => side.created += 1,
                        (false, false) => side.updated += 1,
                    }
                }
                self.counts.deleted += plan.remove.len() as u64;
                self.side_counts(which).deleted += plan.remove.len() as u64;
                remember.extend(plan.remember);
            }
            Err(message) => {
                let ids = plan.put.iter().map(|(id, ..)| id).chain(plan.remove.iter());
                let ids: Vec<String> = ids.cloned().collect();
                for id in ids {
                    self.counts.received += u64::from(plan.remove.contains(&id));
                    self.counts.failed += 1;
                    self.side_counts(which).failed += 1;
                    self.problem(
                        Some(Self::label(user, &id)),
                        ProblemKind::Failed,
                        format!("writing to the {} side failed: {message}", which.name()),
                    );
                }
            }
        }
    }
}

fn change_name(create: bool, tombstone: bool) -> &'static str {
    match (tombstone, create) {
        (true, _) => "delete",
        (false, true) => "create",
        (false, false) => "update",
    }
}
