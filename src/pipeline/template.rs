//! URLs and text with `{placeholders}` that the engine fills per request (`{id}`,
//! `{dest_id}`, `{email}`). `{vars.NAME}` placeholders are already substituted when the
//! file is loaded, so what is left here is filled at run time. URLs are checked at load
//! time: a template is parsed with each placeholder replaced by a dummy.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

use super::de::HELP;
use super::types::from_text;

/// Text with `{name}` placeholders, such as an endpoint path `/people/{dest_id}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    placeholders: Vec<String>,
}

impl Template {
    /// Parses the placeholders of `text`; braces must pair up around a name.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut placeholders = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!("{text:?} has a `}}` without a `{{`"));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("{text:?} has a `{{` without a `}}`"))?;
            let name = &after[..close];
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid {
                return Err(format!(
                    "{text:?} has an invalid placeholder `{{{name}}}`{HELP}a placeholder names a field, like `{{id}}` or `{{vars.code}}`"
                ));
            }
            placeholders.push(name.to_string());
            rest = &after[close + 1..];
        }
        Ok(Template {
            text: text.to_string(),
            placeholders,
        })
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The placeholder names, in order (`dest_id` for `{dest_id}`).
    pub fn placeholders(&self) -> &[String] {
        &self.placeholders
    }

    /// The text with each placeholder replaced by `fill(name)`.
    pub fn render(&self, mut fill: impl FnMut(&str) -> String) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                break;
            };
            out.push_str(&fill(&after[..close]));
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Template, D::Error> {
        from_text(d, "text with `{placeholders}`", Template::parse)
    }
}

impl JsonSchema for Template {
    fn schema_name() -> Cow<'static, str> {
        "Template".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "text with `{field}` placeholders filled per record, e.g. `/people/{dest_id}`",
        })
    }
}

/// An absolute http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(pub url::Url);

impl HttpUrl {
    /// Parses an absolute `http` or `https` URL without placeholders.
    pub fn parse(text: &str) -> Result<HttpUrl, String> {
        if let Some(open) = text.find('{') {
            let name: String = text[open..].chars().take_while(|c| *c != '}').collect();
            return Err(format!(
                "{text:?} has a placeholder `{name}}}` that is not filled in here{HELP}only `{{vars.NAME}}` placeholders are filled in this URL"
            ));
        }
        parse_http(text, text).map(HttpUrl)
    }
}

fn parse_http(text: &str, shown: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| {
        format!("expected an absolute URL like \"https://example.com/api\", found {shown:?} ({e})")
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "expected an http or https URL, found {shown:?} (scheme `{other}`)"
        )),
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HttpUrl, D::Error> {
        from_text(d, "a URL like \"https://example.com/api\"", HttpUrl::parse)
    }
}

impl JsonSchema for HttpUrl {
    fn schema_name() -> Cow<'static, str> {
        "HttpUrl".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "an absolute http(s) URL; `{vars.NAME}` placeholders are filled at load time",
            "pattern": "^(https?://|\\$\\{)",
        })
    }
}

/// A URL with placeholders filled per record, such as
/// `https://registration.example.com/api/participants/{id}`.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlTemplate(Template);

impl UrlTemplate {
    /// Parses the template and checks that it makes an http(s) URL once filled.
    pub fn parse(text: &str) -> Result<UrlTemplate, String> {
        let template = Template::parse(text)?;
        parse_http(&template.render(|_| "x".to_string()), text)?;
        Ok(UrlTemplate(template))
    }

    /// The template.
    pub fn template(&self) -> &Template {
        &self.0
    }
}

impl fmt::Debug for UrlTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for UrlTemplate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UrlTemplate, D::Error> {
        from_text(
            d,
            "a URL like \"https://example.com/api/{id}\"",
            UrlTemplate::parse,
        )
    }
}

impl JsonSchema for UrlTemplate {
    fn schema_name() -> Cow<'static, str> {
        "UrlTemplate".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "an absolute http(s) URL with `{field}` placeholders filled per record",
            "pattern": "^(https?://|\\$\\{)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_list_their_placeholders() {
        let t = Template::parse("/people?email={email}&x={vars.a}").expect("valid");
        assert_eq!(t.placeholders(), ["email", "vars.a"]);
        assert_eq!(
            t.render(|n| n.to_uppercase()),
            "/people?email=EMAIL&x=VARS.A"
        );
        assert!(
            Template::parse("/a/{")
                .unwrap_err()
                .contains("without a `}`")
        );
        assert!(
            Template::parse("/a/}")
                .unwrap_err()
                .contains("without a `{`")
        );
        assert!(
            Template::parse("/a/{ x }")
                .unwrap_err()
                .contains("invalid placeholder")
        );
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(HttpUrl::parse("https://example.com/api").is_ok());
        assert!(
            HttpUrl::parse("example.com/api")
                .unwrap_err()
                .contains("relative URL")
        );
        assert!(
            HttpUrl::parse("ftp://example.com")
                .unwrap_err()
                .contains("scheme `ftp`")
        );
        assert!(
            HttpUrl::parse("https://x/{id}")
                .unwrap_err()
                .contains("`{id}`")
        );
        assert!(UrlTemplate::parse("https://x.example/p/{id}").is_ok());
        assert!(UrlTemplate::parse("https://exa mple.com/{id}").is_err());
    }
}
