//! Rules that span several keys, checked once the file is typed: `every` or `cron`,
//! a schedule that can fire, auth names that exist, one of `file` and `inline`, the
//! key each kind of auth needs. Each problem points at the key that breaks the rule.

use chrono::{DateTime, Utc};

use super::auth::{Auth, Grant, JwtAlgorithm};
use super::codes;
use super::destination::Destination;
use super::model::{Deletes, PipelineFile, SyncMode};
use super::source::{AfterRead, FileFormat, Source};
use super::template::Template;
use super::tree::{Located, Node};
use super::two_way::{Side, UserToken};
use crate::diagnostic::{Diagnostic, did_you_mean};

/// Checks `file`, whose keys sit in `root`, as of `now`.
pub(crate) fn check(file: &PipelineFile, root: &Node, now: DateTime<Utc>) -> Vec<Diagnostic> {
    let mut c = Checker {
        root,
        out: Vec::new(),
    };
    c.schedule(file, now);
    c.auth_blocks(file);
    c.source(file);
    c.destination(file);
    c.sync(file);
    c.mapping(file);
    c.webhook(file);
    c.two_way(file);
    c.out
}

struct Checker<'a> {
    root: &'a Node,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// The value at `path`, else the nearest table above it, else the file start.
    fn at(&self, path: &[&str]) -> Located {
        (0..=path.len())
            .rev()
            .find_map(|n| self.root.get(&path[..n]))
            .map_or_else(|| self.root.at.clone(), |node| node.at.clone())
    }

    /// The key `path`'s last element, else its value's place.
    fn key(&self, path: &[&str]) -> Located {
        match path.split_last() {
            Some((name, parent)) => self
                .root
                .key(parent, name)
                .map_or_else(|| self.at(path), |k| k.at.clone()),
            None => self.root.at.clone(),
        }
    }

    fn push(&mut self, code: &'static str, message: String, at: Located, help: Option<String>) {
        let mut d = Diagnostic::error(code, message, &at.file, at.span);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.out.push(d);
    }

    /// Both or neither of two optional keys of the table at `table`.
    fn exactly_one(&mut self, table: &[&str], a: (&str, bool), b: (&str, bool)) {
        let name = table.join(".");
        match (a.1, b.1) {
            (true, true) => {
                let path: Vec<&str> = table.iter().copied().chain([b.0]).collect();
                self.push(
                    codes::CONFLICT,
                    format!("`{}` and `{}` exclude each other in `[{name}]`", a.0, b.0),
                    self.key(&path),
                    Some(format!("keep one of `{}` and `{}`", a.0, b.0)),
                );
            }
            (false, false) => self.push(
                codes::NEED_ONE,
                format!("`[{name}]` needs `{}` or `{}`", a.0, b.0),
                self.at(table),
                None,
            ),
            _ => {}
        }
    }

    fn schedule(&mut self, file: &PipelineFile, now: DateTime<Utc>) {
        let Some(s) = &file.schedule else { return };
        if s.every.is_some() && s.cron.is_some() {
            self.push(
                codes::CONFLICT,
                "`every` and `cron` exclude each other in `[schedule]`".to_string(),
                self.key(&["schedule", "cron"]),
                Some(
                    "keep `every` for runs counted from the last one, or `cron` for calendar times"
                        .to_string(),
                ),
            );
        }
        if let (Some(every), Some(min)) = (&s.every, &s.min_interval)
            && every < min
        {
            self.push(
                codes::SCHEDULE,
                format!("`every` ({every}) is shorter than `min_interval` ({min})"),
                self.at(&["schedule", "every"]),
                Some(
                    "scheduled runs would be refused; lengthen `every` or shorten `min_interval`"
                        .to_string(),
                ),
            );
        }
        if let Some(until) = &s.until
            && until.0 < now
        {
            let at = self.at(&["schedule", "until"]);
            self.out.push(
                Diagnostic::warning(
                    codes::UNTIL_PAST,
                    format!(
                        "`until` ({}) lies in the past: no scheduled runs will happen",
                        until.0.to_rfc3339()
                    ),
                    &at.file,
                    at.span,
                )
                .with_help("remove `until` or move it into the future"),
            );
        }
    }

    fn auth_blocks(&mut self, file: &PipelineFile) {
        for (name, auth) in &file.auth {
            let table = ["auth", name.as_str()];
            match auth {
                Auth::ApiKey(a) => {
                    self.exactly_one(
                        &table,
                        ("header", a.header.is_some()),
                        ("query", a.query.is_some()),
                    );
                }
                Auth::OAuth2(a) if a.grant == Grant::RefreshToken && a.refresh_token.is_none() => {
                    self.push(
                        codes::REQUIRES,
                        "`grant = \"refresh_token\"` needs a `refresh_token`".to_string(),
                        self.at(&["auth", name, "grant"]),
                        None,
                    );
                }
                Auth::Jwt(a) => {
                    let (needed, present) = match a.algorithm {
                        JwtAlgorithm::Hs256 => ("secret", a.secret.is_some()),
                        JwtAlgorithm::Rs256 => ("private_key", a.private_key.is_some()),
                    };
                    if !present {
                        self.push(
                            codes::REQUIRES,
                            format!("this JWT algorithm needs `{needed}`"),
                            self.at(&["auth", name, "algorithm"]),
                            None,
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn auth_reference(&mut self, file: &PipelineFile, section: &str, name: Option<&str>) {
        let Some(name) = name else { return };
        if file.auth.contains_key(name) {
            return;
        }
        let help = match did_you_mean(name, file.auth.keys().map(String::as_str)) {
            Some(s) => Some(format!("did you mean `{s}`?")),
            None if file.auth.is_empty() => Some(format!("define it in an `[auth.{name}]` table")),
            None => Some(format!(
                "defined: {}",
                file.auth
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        self.push(
            codes::UNKNOWN_AUTH,
            format!("unknown auth `{name}`: there is no `[auth.{name}]`"),
            self.at(&[section, "auth"]),
            help,
        );
    }

    fn source(&mut self, file: &PipelineFile) {
        match &file.source {
            Some(Source::Http(http)) => {
                self.auth_reference(file, "source", http.auth.as_deref());
                if let Some(inc) = &http.incremental {
                    self.exactly_one(
                        &["source", "incremental"],
                        ("param", inc.param.is_some()),
                        ("header", inc.header.is_some()),
                    );
                }
                if http.concurrency == Some(0) {
                    self.zero_concurrency("source");
                }
            }
            Some(Source::File(f)) => {
                if f.format().is_none() {
                    self.no_format("source");
                }
                if f.after_read == AfterRead::Move(None) && f.move_to.is_none() {
                    self.push(
                        codes::REQUIRES,
                        "`after_read = \"move\"` needs `move_to`".to_string(),
                        self.at(&["source", "after_read"]),
                        None,
                    );
                }
            }
            None => {}
        }
    }

    fn destination(&mut self, file: &PipelineFile) {
        match &file.destination {
            Some(Destination::Http(http)) => {
                self.auth_reference(file, "destination", http.auth.as_deref());
                if http.create.is_none() && http.update.is_none() && http.batch.is_none() {
                    self.push(
                        codes::NEED_ONE,
                        "`[destination]` needs `create`, `update` or `batch`".to_string(),
                        self.at(&["destination"]),
                        None,
                    );
                }
                if http.concurrency == Some(0) {
                    self.zero_concurrency("destination");
                }
            }
            Some(Destination::File(f)) => match f.format() {
                None => self.no_format("destination"),
                Some(FileFormat::Xls) => {
                    let key = if f.format.is_some() { "format" } else { "path" };
                    self.push(
                        codes::INVALID_VALUE,
                        "sluice reads the old Excel format (.xls) but cannot write it".to_string(),
                        self.at(&["destination", key]),
                        Some("write `.xlsx` instead: every Excel since 2007 opens it".to_string()),
                    );
                }
                Some(_) => {}
            },
            _ => {}
        }
    }

    fn zero_concurrency(&mut self, section: &str) {
        self.push(
            codes::INVALID_VALUE,
            "expected a concurrency of 1 or more, found the number 0".to_string(),
            self.at(&[section, "concurrency"]),
            None,
        );
    }

    fn no_format(&mut self, section: &str) {
        self.push(
            codes::REQUIRES,
            "the file format cannot be told from the path's extension".to_string(),
            self.at(&[section, "path"]),
            Some("add `format = \"json\"` (or ndjson, csv, xml, xlsx, xls)".to_string()),
        );
    }

    fn sync(&mut self, file: &PipelineFile) {
        if file.sync.deletes == Deletes::Propagate && file.sync.mode != SyncMode::Full {
            self.push(
                codes::REQUIRES,
                "`deletes = \"propagate\"` works only with `mode = \"full\"`".to_string(),
                self.at(&["sync", "deletes"]),
                Some("only a full read tells which records disappeared".to_string()),
            );
        }
    }

    /// A webhook path the daemon can serve beside its own routes; `fetch` with an HTTP
    /// source (whose auth the fetch uses).
    fn webhook(&mut self, file: &PipelineFile) {
        let Some(hook) = &file.webhook else { return };
        let path = hook.path.as_str();
        let taken = path == "/status" || path.starts_with("/pipelines/");
        if !path.starts_with('/') || taken || path.contains(['?', '#']) {
            self.push(
                codes::INVALID_VALUE,
                format!("`{path}` cannot be a webhook path"),
                self.at(&["webhook", "path"]),
                Some(
                    "a path starts with `/`, has no `?` or `#`, and is not `/status` or \
                     under `/pipelines/`"
                        .to_string(),
                ),
            );
        }
        if hook.fetch.is_some() && matches!(file.source, Some(Source::File(_))) {
            self.push(
                codes::REQUIRES,
                "`fetch` works only with an HTTP source".to_string(),
                self.at(&["webhook", "fetch"]),
                Some("the record is fetched with the source's authentication".to_string()),
            );
        }
    }

    /// A two-way pipeline has `[two_way]`, `[left]` and `[right]` and none of the
    /// one-way tables; those tables need `mode = "two_way"`; per-user settings need
    /// users.
    fn two_way(&mut self, file: &PipelineFile) {
        let two_way = file.sync.mode == SyncMode::TwoWay;
        let sides = [("left", &file.left), ("right", &file.right)];
        if !two_way {
            let present = [
                ("two_way", file.two_way.is_some()),
                ("left", file.left.is_some()),
                ("right", file.right.is_some()),
            ];
            for (table, _) in present.into_iter().filter(|(_, there)| *there) {
                self.push(
                    codes::REQUIRES,
                    format!("`[{table}]` works only with `mode = \"two_way\"`"),
                    self.at(&[table]),
                    Some("set `[sync] mode = \"two_way\"`, or remove the table".to_string()),
                );
            }
            return;
        }
        let mut missing = Vec::new();
        if file.two_way.is_none() {
            missing.push("two_way");
        }
        for (name, side) in sides {
            if side.is_none() {
                missing.push(name);
            }
        }
        for table in missing {
            self.push(
                codes::MISSING_KEY,
                format!("a two-way pipeline needs a `[{table}]` table"),
                self.at(&["sync", "mode"]),
                None,
            );
        }
        let one_way = [
            ("source", file.source.is_some()),
            ("destination", file.destination.is_some()),
            ("mapping", file.mapping.is_some()),
            ("webhook", file.webhook.is_some()),
        ];
        for (table, _) in one_way.into_iter().filter(|(_, there)| *there) {
            self.push(
                codes::CONFLICT,
                format!("a two-way pipeline has no `[{table}]`"),
                self.at(&[table]),
                Some(
                    "its sides are `[left]` and `[right]`; items travel between them as they are"
                        .to_string(),
                ),
            );
        }
        let users = file.two_way.as_ref().and_then(|t| t.users.as_ref());
        if let Some(users) = users {
            self.exactly_one(
                &["two_way", "users"],
                ("list", !users.list.is_empty()),
                ("source", users.source.is_some()),
            );
        }
        for (name, side) in sides {
            let Some(side) = side else { continue };
            self.side(file, name, side, users.is_some());
        }
        if let (Some(left), Some(right)) = (&file.left, &file.right)
            && left.read_only()
            && right.read_only()
        {
            self.push(
                codes::REQUIRES,
                "both sides are read-only: a two-way pipeline writes at least one".to_string(),
                self.at(&["right"]),
                Some("give one side a `write` endpoint (HTTP) or drop `read_only`".to_string()),
            );
        }
    }

    /// One side of a two-way pipeline: auth names, the user token, `{user}`.
    fn side(&mut self, file: &PipelineFile, name: &str, side: &Side, per_user: bool) {
        let mut templates: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
        match side {
            Side::File(f) => {
                let placeholders = Template::parse(&f.path)
                    .map(|t| t.placeholders().to_vec())
                    .unwrap_or_default();
                templates.push((vec![name, "path"], placeholders));
                if !matches!(
                    FileFormat::from_path(&f.path),
                    Some(FileFormat::Json | FileFormat::Ndjson)
                ) {
                    self.push(
                        codes::INVALID_VALUE,
                        "a two-way file side is a `.json` or `.ndjson` file".to_string(),
                        self.at(&[name, "path"]),
                        None,
                    );
                }
            }
            Side::Http(http) => {
                self.auth_reference(file, name, http.auth.as_deref());
                if http.auth.is_some() && http.user_token == Some(UserToken::Bearer) {
                    self.push(
                        codes::CONFLICT,
                        format!(
                            "`auth` and `user_token = \"bearer\"` exclude each other in `[{name}]`"
                        ),
                        self.key(&[name, "user_token"]),
                        Some("both set the Authorization header; keep one".to_string()),
                    );
                }
                if http.user_token.is_some() && !per_user {
                    self.push(
                        codes::REQUIRES,
                        "`user_token` needs users in `[two_way.users]`".to_string(),
                        self.at(&[name, "user_token"]),
                        None,
                    );
                }
                let names = |t: &crate::pipeline::UrlTemplate| {
                    t.template()
                        .placeholders()
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                };
                templates.push((vec![name, "url"], names(&http.url)));
                if let Some(write) = &http.write {
                    templates.push((vec![name, "write", "url"], names(&write.url)));
                }
            }
        }
        for (path, placeholders) in templates {
            for placeholder in placeholders {
                let problem = match placeholder.as_str() {
                    "user" if per_user => continue,
                    "user" => "`{user}` needs users in `[two_way.users]`".to_string(),
                    other => {
                        format!("unknown placeholder `{{{other}}}`: only `{{user}}` is filled here")
                    }
                };
                self.push(codes::INVALID_VALUE, problem, self.at(&path), None);
            }
        }
    }

    fn mapping(&mut self, file: &PipelineFile) {
        if let Some(m) = &file.mapping {
            self.exactly_one(
                &["mapping"],
                ("file", m.file.is_some()),
                ("inline", m.inline.is_some()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;
    use crate::pipeline::de::{Sink, read};
    use crate::pipeline::tree::from_toml;

    fn problems(text: &str) -> Vec<(&'static str, (usize, usize), String)> {
        let file = SourceFile::new("p.toml", text);
        let root = from_toml(&file, toml::de::DeTable::parse(&file.text).expect("TOML"));
        let typed = read::<PipelineFile>(&root, "", &Sink::default()).expect("typed");
        let now = "2026-11-01T00:00:00Z".parse().expect("time");
        check(&typed, &root, now)
            .into_iter()
            .map(|d| (d.code, d.line_col(), d.message))
            .collect()
    }

    #[test]
    fn auth_blocks_need_their_keys() {
        let found = problems(
            "[auth.a]\ntype = \"api_key\"\nheader = \"K\"\nquery = \"k\"\nkey = \"x\"\n\
             [auth.b]\ntype = \"api_key\"\nkey = \"x\"\n\
             [auth.c]\ntype = \"jwt\"\nalgorithm = \"RS256\"\nsecret = \"s\"\n\
             [auth.d]\ntype = \"oauth2\"\ntoken_url = \"https://t.example.com\"\nclient_id = \"i\"\nclient_secret = \"s\"\ngrant = \"refresh_token\"\n",
        );
        assert_eq!(
            found,
            [
                (
                    "P009",
                    (4, 1),
                    "`header` and `query` exclude each other in `[auth.a]`".to_string()
                ),
                (
                    "P010",
                    (6, 1),
                    "`[auth.b]` needs `header` or `query`".to_string()
                ),
                (
                    "P016",
                    (11, 13),
                    "this JWT algorithm needs `private_key`".to_string()
                ),
                (
                    "P016",
                    (18, 9),
                    "`grant = \"refresh_token\"` needs a `refresh_token`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn sources_and_destinations() {
        let found = problems(
            "[source]\ntype = \"file\"\npath = \"inbox/*\"\nid = \"id\"\nafter_read = \"move\"\n\
             [destination]\ntype = \"http\"\nbase_url = \"https://x.example.com\"\nconcurrency = 0\n",
        );
        assert_eq!(
            found,
            [
                (
                    "P016",
                    (3, 8),
                    "the file format cannot be told from the path's extension".to_string()
                ),
                (
                    "P016",
                    (5, 14),
                    "`after_read = \"move\"` needs `move_to`".to_string()
                ),
                (
                    "P010",
                    (6, 1),
                    "`[destination]` needs `create`, `update` or `batch`".to_string()
                ),
                (
                    "P003",
                    (9, 15),
                    "expected a concurrency of 1 or more, found the number 0".to_string()
                ),
            ]
        );
        let found = problems(
            "[source]\ntype = \"http\"\nurl = \"https://x.example.com\"\nid = \"id\"\nincremental = { field = \"u\" }\n",
        );
        assert_eq!(found[0].0, "P010");
        assert_eq!(
            found[0].2,
            "`[source.incremental]` needs `param` or `header`"
        );
    }

    #[test]
    fn a_mapping_needs_file_or_inline() {
        let found = problems("[mapping]\n");
        assert_eq!(
            found,
            [(
                "P010",
                (1, 1),
                "`[mapping]` needs `file` or `inline`".to_string()
            )]
        );
    }
}
