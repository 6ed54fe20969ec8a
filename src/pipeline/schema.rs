//! The JSON Schema of pipeline files, generated from the model, for editors (TOML
//! language servers such as Taplo and Even Better TOML read JSON schemas) and for
//! `sluice schema`.

/// The JSON Schema (draft 2020-12) of a pipeline file.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(super::model::PipelineFile);
    schema.to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_tagged_tables_and_refuses_unknown_keys() {
        let schema = json_schema();
        let text = schema.to_string();
        assert!(text.contains("\"additionalProperties\":false"), "{text}");
        assert!(text.contains("\"const\":\"cursor\""), "{text}");
        assert!(text.contains("\"const\":\"api_key\""), "{text}");
    }
}
