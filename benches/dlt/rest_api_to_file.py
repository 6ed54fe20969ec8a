"""The dlt side of the comparison in benches/dlt/run.sh.

Reads the loopback source API of `examples/http_sync.rs --serve` with dlt's `rest_api`
source (page numbers from 1, `per_page=1000`, the records under `data`, stopping at
the first empty page — the requests sluice makes), applies the same mapping as the
sluice pipeline (`pipelines/api_to_file.toml`: e-mail lower-cased, a full name, the
country upper-cased) and loads the result into local JSONL files with dlt's
`filesystem` destination (uncompressed, like sluice's NDJSON).

    python rest_api_to_file.py [SOURCE_URL] [OUT_DIR]

Defaults: http://127.0.0.1:8765 and /tmp/sluice-dlt/dlt. Prints the number of records
loaded. Nothing leaves 127.0.0.1: dlt's telemetry is switched off before dlt loads.
"""

import os
import sys

os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ["DATA_WRITER__DISABLE_COMPRESSION"] = "true"

import dlt  # noqa: E402
from dlt.sources.rest_api import rest_api_source  # noqa: E402


def mapped(record):
    """The sluice pipeline's mapping."""
    email = record["email"].lower()
    if not email:
        raise ValueError("email is required")
    return {
        "email": email,
        "full_name": record["first_name"].strip() + " " + record["last_name"],
        "country": record["country"].upper(),
    }


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765"
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/sluice-dlt/dlt"
    source = rest_api_source(
        {
            "client": {
                "base_url": base,
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "base_page": 1,
                    "total_path": None,
                    "stop_after_empty_page": True,
                },
            },
            "resources": [
                {
                    "name": "records",
                    "endpoint": {
                        "path": "records",
                        "params": {"per_page": 1000},
                        "data_selector": "data",
                    },
                    "write_disposition": "replace",
                }
            ],
        }
    )
    source.resources["records"].add_map(mapped)
    pipeline = dlt.pipeline(
        pipeline_name="rest_api_to_file",
        pipelines_dir=os.path.join(out, ".pipelines"),
        destination=dlt.destinations.filesystem(bucket_url="file://" + os.path.join(out, "data")),
        dataset_name="bench",
    )
    pipeline.run(source, loader_file_format="jsonl")
    rows = pipeline.last_trace.last_normalize_info.row_counts.get("records", 0)
    print(f"dlt loaded {rows} records")


if __name__ == "__main__":
    main()
