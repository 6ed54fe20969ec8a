//! Record formats end to end, with real files in temporary folders: every format
//! written and read back, the options of each reader, the XLS fixture
//! (tests/formats/people.xls, made by make_xls.py), and the atomic writer.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sluice::formats::{
    Encoding, FileError, Flow, Format, ReadError, ReadOptions, WriteOptions, create_writer,
    read_file,
};

type Records = Vec<Result<Value, ReadError>>;

fn read(path: &Path, format: Format, options: &ReadOptions) -> Result<Records, FileError> {
    let mut out = Vec::new();
    read_file(path, format, options, &mut |r| {
        out.push(r);
        Flow::Continue
    })?;
    Ok(out)
}

fn read_ok(path: &Path, format: Format, options: &ReadOptions) -> Vec<Value> {
    read(path, format, options)
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

fn write(path: &Path, format: Format, options: &WriteOptions, records: &[Value]) {
    let mut writer = create_writer(path, format, options).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    writer.finish().unwrap();
}

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Records whose values are all text survive every format unchanged.
fn text_records() -> Vec<Value> {
    vec![
        json!({"id": "1", "name": "Anna de Vries", "city": "Ede", "note": "a, \"b\" & <c>\nd"}),
        json!({"id": "2", "name": "Bram", "city": "Zürich", "note": ""}),
    ]
}

#[test]
fn every_writable_format_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("out.csv", Format::Csv),
        ("out.json", Format::Json),
        ("out.ndjson", Format::Ndjson),
        ("out.xml", Format::Xml),
        ("out.xlsx", Format::Xlsx),
    ] {
        let path = dir.path().join(name);
        write(&path, format, &WriteOptions::default(), &text_records());
        let mut back = read_ok(&path, format, &ReadOptions::default());
        if format == Format::Xlsx {
            // Empty cells are left out of sheet records.
            back[1]["note"] = json!("");
        }
        assert_eq!(back, text_records(), "{name}");
    }
}

#[test]
fn typed_values_round_trip_through_json_ndjson_and_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let records = vec![
        json!({"n": 42, "x": 2.5, "ok": true, "big": 12345678901234567890_u64, "s": "t"}),
        json!({"n": -1, "x": 0.1, "ok": false, "big": 1, "s": "u"}),
    ];
    for (name, format) in [("t.json", Format::Json), ("t.ndjson", Format::Ndjson)] {
        let path = dir.path().join(name);
        write(&path, format, &WriteOptions::default(), &records);
        assert_eq!(read_ok(&path, format, &ReadOptions::default()), records);
    }
    let path = dir.path().join("t.xlsx");
    write(&path, Format::Xlsx, &WriteOptions::default(), &records);
    let back = read_ok(&path, Format::Xlsx, &ReadOptions::default());
    // A number a double cannot hold exactly is written as text.
    let mut want = records.clone();
    want[0]["big"] = json!("12345678901234567890");
    assert_eq!(back, want);
}

#[test]
fn csv_with_a_semicolon_and_given_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let options = WriteOptions {
        delimiter: b';',
        columns: Some(vec!["name".into(), "id".into(), "tags".into()]),
        ..WriteOptions::default()
    };
    let mut writer = create_writer(&path, Format::Csv, &options).unwrap();
    writer
        .write(&json!({"id": 1, "name": "A;B", "tags": ["x", "y"]}))
        .unwrap();
    let extra = writer.write(&json!({"id": 2, "email": "e@x"})).unwrap_err();
    assert!(extra.is_record_error());
    assert!(extra.to_string().contains("`email`"), "{extra}");
    writer.write(&json!({"id": 3, "name": null})).unwrap();
    writer.finish().unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "name;id;tags\n\"A;B\";1;\"[\"\"x\"\",\"\"y\"\"]\"\n;3;\n"
    );
    let read_options = ReadOptions {
        delimiter: b';',
        ..ReadOptions::default()
    };
    assert_eq!(
        read_ok(&path, Format::Csv, &read_options),
        [
            json!({"name": "A;B", "id": "1", "tags": "[\"x\",\"y\"]"}),
            json!({"name": "", "id": "3", "tags": ""}),
        ]
    );
}

#[test]
fn csv_without_a_header_in_latin1_with_a_short_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "in.csv", b"1;Ren\xE9;Caf\xE9\n2;Zo\xEB\n3;Ana;Bar\n");
    let options = ReadOptions {
        delimiter: b';',
        header: false,
        encoding: Encoding::Latin1,
        ..ReadOptions::default()
    };
    let got = read(&path, Format::Csv, &options).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], Ok(json!({"1": "1", "2": "René", "3": "Café"})));
    assert_eq!(
        got[1],
        Err(ReadError {
            location: "line 2".into(),
            message: "2 fields where the header has 3".into()
        })
    );
    assert_eq!(got[2], Ok(json!({"1": "3", "2": "Ana", "3": "Bar"})));
}

#[test]
fn csv_short_row_in_a_file_with_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "in.csv", b"id,name\n1,A\n2\n3,C\n");
    let got = read(&path, Format::Csv, &ReadOptions::default()).unwrap();
    assert_eq!(got[1].as_ref().unwrap_err().location, "line 3");
    assert_eq!(got[2], Ok(json!({"id": "3", "name": "C"})));
}

#[test]
fn json_records_at_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "in.json",
        br#"{"meta": {"total": 2}, "data": {"items": [{"id": 1}, {"id": 2}]}}"#,
    );
    let options = ReadOptions {
        records: Some("data.items".into()),
        ..ReadOptions::default()
    };
    assert_eq!(
        read_ok(&path, Format::Json, &options),
        [json!({"id": 1}), json!({"id": 2})]
    );
    let missing = ReadOptions {
        records: Some("data.rows".into()),
        ..ReadOptions::default()
    };
    assert!(matches!(
        read(&path, Format::Json, &missing),
        Err(FileError::Options { .. })
    ));
}

#[test]
fn xml_attributes_repeated_and_nested_elements() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "orders.xml",
        br#"<?xml version="1.0" encoding="UTF-8"?>
<export>
  <orders>
    <order id="A1" status="paid">
      <customer><name>Anna</name><address><city>Ede</city></address></customer>
      <line sku="X">2</line>
      <line sku="Y">1</line>
    </order>
    <order id="A2"/>
  </orders>
</export>"#,
    );
    let options = ReadOptions {
        records: Some("orders/order".into()),
        ..ReadOptions::default()
    };
    assert_eq!(
        read_ok(&path, Format::Xml, &options),
        [
            json!({
                "id": "A1", "status": "paid",
                "customer": {"name": "Anna", "address": {"city": "Ede"}},
                "line": [{"sku": "X", "#text": "2"}, {"sku": "Y", "#text": "1"}]
            }),
            json!({"id": "A2"}),
        ]
    );
}

#[test]
fn xml_entities_are_not_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let secret = file(&dir, "secret.txt", b"TOP SECRET");
    let doc = format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE r [
  <!ENTITY xxe SYSTEM "file://{}">
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<r><x k="&c;">&xxe; &c; &amp; &#x41;</x></r>"#,
        secret.display()
    );
    let path = file(&dir, "in.xml", doc.as_bytes());
    let got = read_ok(&path, Format::Xml, &ReadOptions::default());
    assert_eq!(got, [json!({"k": "&c;", "#text": "&xxe; &c; & A"})]);
    assert!(!got[0].to_string().contains("SECRET"));
}

#[test]
fn malformed_xml_is_a_file_error_naming_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "bad.xml", b"<r>\n  <x>1</x>\n  <x>2</z>\n</r>\n");
    let mut seen = Vec::new();
    let error = read_file(&path, Format::Xml, &ReadOptions::default(), &mut |r| {
        seen.push(r);
        Flow::Continue
    })
    .unwrap_err();
    assert_eq!(seen, [Ok(json!({"#text": "1"}))]);
    let FileError::Parse { location, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(location.starts_with("line 3"), "{location}");
}

#[test]
fn xlsx_written_by_rust_xlsxwriter_is_read_with_types() {
    use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("People").unwrap();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let stamp = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm");
    for (j, name) in ["id", "name", "score", "active", "joined", "seen"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, j as u16, *name).unwrap();
    }
    sheet.write_number(1, 0, 1).unwrap();
    sheet.write_string(1, 1, "Anna").unwrap();
    sheet.write_number(1, 2, 9.5).unwrap();
    sheet.write_boolean(1, 3, true).unwrap();
    let day = ExcelDateTime::from_ymd(2026, 3, 6).unwrap();
    sheet.write_datetime_with_format(1, 4, &day, &date).unwrap();
    let at = ExcelDateTime::from_ymd(2026, 3, 6)
        .unwrap()
        .and_hms(14, 30, 0)
        .unwrap();
    sheet.write_datetime_with_format(1, 5, &at, &stamp).unwrap();
    // Row 3 stays empty and is skipped; row 4 leaves cells empty.
    sheet.write_number(3, 0, 2).unwrap();
    sheet.write_boolean(3, 3, false).unwrap();
    workbook.add_worksheet().set_name("Other").unwrap();
    workbook.save(&path).unwrap();

    let got = read(&path, Format::Xlsx, &ReadOptions::default()).unwrap();
    assert_eq!(
        got,
        [
            Ok(
                json!({"id": 1, "name": "Anna", "score": 9.5, "active": true,
                      "joined": "2026-03-06", "seen": "2026-03-06T14:30:00"})
            ),
            Ok(json!({"id": 2, "active": false})),
        ]
    );
    let other = ReadOptions {
        sheet: Some("Nope".into()),
        ..ReadOptions::default()
    };
    let error = read(&path, Format::Xlsx, &other).unwrap_err().to_string();
    assert!(
        error.contains("no sheet `Nope` (the sheets: People, Other)"),
        "{error}"
    );
}

#[test]
fn xls_fixture_is_read() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/formats/people.xls");
    assert_eq!(
        read_ok(&path, Format::Xls, &ReadOptions::default()),
        [
            json!({"id": 1, "name": "Anna", "score": 9.5, "active": true, "joined": "2026-03-06"}),
            json!({"id": 2, "name": "Bram", "score": 7, "active": false}),
        ]
    );
    let options = ReadOptions {
        sheet: Some("Other".into()),
        header: false,
        ..ReadOptions::default()
    };
    assert_eq!(
        read_ok(&path, Format::Xls, &options),
        [json!({"1": "x"}), json!({"1": "y"})]
    );
}

#[test]
fn a_writer_dropped_unfinished_leaves_the_destination_as_it_was() {
    for (name, format) in [
        ("out.csv", Format::Csv),
        ("out.json", Format::Json),
        ("out.ndjson", Format::Ndjson),
        ("out.xml", Format::Xml),
        ("out.xlsx", Format::Xlsx),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = file(&dir, name, b"the previous export\n");
        let mut writer = create_writer(&path, format, &WriteOptions::default()).unwrap();
        for _ in 0..10_000 {
            writer.write(&text_records()[0]).unwrap();
        }
        drop(writer);
        assert_eq!(fs::read(&path).unwrap(), b"the previous export\n", "{name}");
        assert_eq!(names_in(dir.path()), [name], "{name}");
    }
}

#[test]
fn a_finished_writer_replaces_the_destination_and_creates_folders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exports/2026/out.ndjson");
    write(
        &path,
        Format::Ndjson,
        &WriteOptions::default(),
        &[json!({"a": 1})],
    );
    write(
        &path,
        Format::Ndjson,
        &WriteOptions::default(),
        &[json!({"a": 2})],
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":2}\n");
    assert_eq!(names_in(&dir.path().join("exports/2026")), ["out.ndjson"]);
}

#[test]
fn xml_writer_names_its_elements() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.xml");
    let options = WriteOptions {
        root: Some("people".into()),
        record: Some("person".into()),
        ..WriteOptions::default()
    };
    write(
        &path,
        Format::Xml,
        &options,
        &[json!({"name": "A", "tags": ["x", "y"]})],
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<people>\n  <person>\n    \
         <name>A</name>\n    <tags>x</tags>\n    <tags>y</tags>\n  </person>\n</people>\n"
    );
    let bad = WriteOptions {
        root: Some("two words".into()),
        ..WriteOptions::default()
    };
    assert!(create_writer(&path, Format::Xml, &bad).is_err());
}
