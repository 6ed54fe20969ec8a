//! Writes N synthetic participant records as NDJSON (default 1,000,000) to stdout, for
//! the end-to-end benchmark in benches/README.md. Deterministic: same N, same bytes.
//!
//! cargo run --release --example make_participants -- 1000000 > /tmp/participants.ndjson

use std::io::{BufWriter, Write};

const FIRST: [&str; 8] = [
    "Ada",
    " Grace",
    "Alan ",
    "Katherine",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
];
const LAST: [&str; 8] = [
    "Lovelace", "Hopper", "Turing ", " Johnson", "Dijkstra", "Liskov", "Knuth", "Allen",
];
const COUNTRIES: [&str; 7] = ["nl", "BE", "de", "FR", "gb", "US", "it"];
const CITIES: [&str; 5] = [" Amsterdam", "Gent ", "Berlin", "Paris", "London"];

fn main() -> std::io::Result<()> {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 20, stdout);
    for i in 0..count {
        let k = i as usize;
        let first = FIRST[k % FIRST.len()];
        let last = LAST[(k / 8) % LAST.len()];
        let company = if i % 5 == 0 {
            "null".to_string()
        } else {
            format!("\"Company {}\"", i % 997)
        };
        writeln!(
            out,
            r#"{{"participant_id":"p-{i}","first_name":"{first}","last_name":"{last}","email":" {}.{}{i}@Example.COM","company":{company},"country_code":"{}","registered":"{:02}/{:02}/2026 {:02}:{:02}","tickets":{},"city":"{}","status":"confirmed"}}"#,
            first.trim().to_lowercase(),
            last.trim().to_lowercase(),
            COUNTRIES[k % COUNTRIES.len()],
            1 + k % 28,
            1 + (k / 28) % 12,
            k % 24,
            k % 60,
            1 + i % 4,
            CITIES[k % CITIES.len()],
        )?;
    }
    out.flush()
}
