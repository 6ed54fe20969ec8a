//! Validation speed: a project of 200 pipelines, each with a mapping file and a Rhai
//! script, loaded, checked and prepared as `sluice validate` does (target: ≤ 300 ms).
//!
//! cargo bench --bench validate

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/pipeline_project.rs"]
mod pipeline_project;

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use sluice::catalog::{Catalog, Toolkit, pipeline_files};
use sluice::pipeline::LoadContext;

const PIPELINES: usize = 200;

fn validation(c: &mut Criterion) {
    let Ok(project) = tempfile::tempdir() else {
        panic!("no temporary folder");
    };
    if let Err(e) = pipeline_project::write_project(project.path(), PIPELINES) {
        panic!("cannot write the project: {e}");
    }
    let pipelines = project.path().join("pipelines");
    let ctx = LoadContext::new()
        .with_project_root(project.path())
        .with_library(vec![PathBuf::from("stdlib/presets")])
        .with_env(|name| (name == "BENCH_TOKEN").then(|| "token".to_string()));
    let mut group = c.benchmark_group("validate");
    group.sample_size(20);
    group.bench_function("200_pipelines", |b| {
        b.iter(|| {
            let files = match pipeline_files(std::slice::from_ref(&pipelines)) {
                Ok(files) => files,
                Err(e) => panic!("{e}"),
            };
            let toolkit = match Toolkit::new(Path::new(".")) {
                Ok(toolkit) => toolkit,
                Err(_) => panic!("the standard scripts do not compile"),
            };
            let catalog = Catalog::load(&files, &ctx, &toolkit);
            assert_eq!(catalog.files, PIPELINES);
            assert_eq!(catalog.error_count(), 0, "{:?}", catalog.diagnostics);
            assert_eq!(catalog.pipelines.len(), PIPELINES);
        })
    });
    group.finish();
}

criterion_group!(benches, validation);
criterion_main!(benches);
