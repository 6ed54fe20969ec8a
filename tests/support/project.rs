//! A sluice project in a temporary folder, driven through the real binary: write
//! pipeline and data files, run commands, read their reports. Shared by the end-to-end
//! test files (`#[path = "support/project.rs"] mod project;`).

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// A project folder, removed when dropped, with the environment its commands get.
pub struct Project {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Project {
    /// An empty project.
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
            env: Vec::new(),
        }
    }

    /// Sets an environment variable for every command run in the project.
    pub fn env(mut self, name: &str, value: &str) -> Project {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// A path inside the project.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file, creating its folders.
    pub fn write(&self, name: &str, content: &str) {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(path, content).expect("written");
    }

    /// Writes records as NDJSON.
    pub fn records(&self, name: &str, records: &[Value]) {
        let text: String = records.iter().map(|r| format!("{r}\n")).collect();
        self.write(name, &text);
    }

    /// A file's text, empty when it does not exist.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// `sluice ARGS` in the project folder, with only the project's own settings.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("SLUICE_STATE")
            .env_remove("SLUICE_PIPELINES")
            .envs(self.env.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        command
    }

    /// Runs `sluice ARGS` to the end.
    pub fn sluice(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("sluice runs")
    }

    /// `sluice run NAME --format json EXTRA…`: the exit code and the report.
    pub fn run(&self, name: &str, extra: &[&str]) -> (Option<i32>, Value) {
        let mut args = vec!["run", name, "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.sluice(&args);
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "no report: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), report)
    }
}
