//! A synthetic project of `count` pipelines, each with its own mapping file and Rhai
//! script, for the validation benchmark (`benches/validate.rs`) and for timing the
//! real binary (`examples/make_pipelines.rs`).

use std::path::Path;

/// Writes `pipelines/p000.toml`… with `p000.map` and `p000.rhai` beside each under
/// `root`. Every pipeline validates clean.
pub fn write_project(root: &Path, count: usize) -> std::io::Result<()> {
    let dir = root.join("pipelines");
    std::fs::create_dir_all(&dir)?;
    for i in 0..count {
        let name = format!("p{i:03}");
        let after = if i > 0 {
            format!("after = [\"p{:03}\"]\n", i - 1)
        } else {
            String::new()
        };
        let pipeline = format!(
            r#"[pipeline]
description = "Synthetic pipeline {i}"
{after}scripts = ["{name}.rhai"]

[schedule]
every = "30m"
timezone = "Europe/Amsterdam"
min_interval = "5m"

[vars]
event_code = "EVT{i}"
country = "NL"

[auth.api]
type = "bearer"
token = "${{env:BENCH_TOKEN}}"

[source]
type = "http"
url = "https://registration.example.com/api/events/{{vars.event_code}}/participants"
auth = "api"
records = "data.items"
id = "participant_id"
paginate = {{ type = "cursor", param = "after", next = "meta.next" }}
incremental = {{ field = "updated_at", param = "updated_since" }}

[destination]
type = "http"
base_url = "https://app.example.com/api/v1"
auth = "api"
match = "email"
create = {{ method = "POST", path = "/people", id = "id" }}
update = {{ method = "PATCH", path = "/people/{{dest_id}}" }}
lookup = {{ method = "GET", path = "/people?email={{email}}", id = "0.id" }}

[sync]
mode = "incremental"
when = 'record.status != "test"'

[mapping]
file = "{name}.map"
"#
        );
        let mapping = format!(
            r#"# Mapping of pipeline {i}.
id            = participant_id | required
email         = email | trim | lower | required
first_name    = first_name | trim | title
last_name     = last_name | trim
full_name     = concat($out.first_name, " ", $out.last_name)
code          = $vars.event_code
country       = country_code | upper | lookup({{NL: "Netherlands", BE: "Belgium"}}, "Other")
registered_at = registered | parse_time("%d/%m/%Y %H:%M", "Europe/Amsterdam")
level         = if tickets > 2 then "vip" else "regular"
badge         = badge_{i}(first_name, last_name)
skip if status == "cancelled"
"#
        );
        let script = format!(
            r#"/// The badge text of pipeline {i}: initials and last name.
fn badge_{i}(first, last) {{
    let initial = if type_of(first) == "string" && first.len() > 0 {{ first.sub_string(0, 1) }} else {{ "" }};
    let surname = if type_of(last) == "string" {{ last }} else {{ "" }};
    initial.to_upper() + ". " + surname
}}
"#
        );
        std::fs::write(dir.join(format!("{name}.toml")), pipeline)?;
        std::fs::write(dir.join(format!("{name}.map")), mapping)?;
        std::fs::write(dir.join(format!("{name}.rhai")), script)?;
    }
    Ok(())
}
