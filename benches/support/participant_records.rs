//! The in-memory participant records of the mapping benchmark, shared by
//! `benches/mapping.rs` and `examples/mapping_loop.rs` (included with `#[path]`).

use serde_json::Value;

/// `count` participant records with the shapes real exports have: padded names,
/// mixed-case e-mail addresses and country codes, a missing company now and then.
pub fn participant_records(count: usize) -> Vec<Value> {
    let first = ["Ada", " Grace", "Alan ", "Katherine"];
    let countries = ["nl", "BE", "de", "US"];
    (0..count)
        .map(|i| {
            serde_json::json!({
                "participant_id": format!("p-{i}"),
                "first_name": first[i % 4],
                "last_name": " Lovelace ",
                "email": format!(" Ada.Lovelace{i}@Example.COM"),
                "company": if i % 5 == 0 { Value::Null } else { Value::from(format!("Company {}", i % 97)) },
                "country_code": countries[i % 4],
                "registered": format!("{:02}/{:02}/2026 {:02}:{:02}", 1 + i % 28, 1 + i % 12, i % 24, i % 60),
                "tickets": 1 + i % 4,
                "city": " Amsterdam",
                "status": "confirmed",
            })
        })
        .collect()
}
