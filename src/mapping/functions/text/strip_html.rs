//! `strip_html`: the readable text of an HTML fragment.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const STRIP_HTML: Function = Function {
    name: "strip_html",
    category: Category::Text,
    summary: "Keeps the readable text of HTML: removes tags, comments and the contents of \
              `<script>` and `<style>`, decodes `&amp;` `&lt;` `&gt;` `&quot;` `&#39;` \
              `&apos;` `&nbsp;` and numeric entities, and collapses white space (block \
              tags such as `<p>` and `<br>` count as a space).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""<p>Hello <b>Ada</b>,</p><p>Fish &amp; chips&nbsp;today!</p>" | strip_html"#,
            result: r#""Hello Ada, Fish & chips today!""#,
        },
        Example {
            expr: r#""Caf&#233; <i>de</i> Flore" | strip_html"#,
            result: r#""Café de Flore""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(strip_html),
};

/// Tags that separate words: they read as white space.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

fn strip_html(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let text = args.text(0)?;
    Ok(Value::String(strip(&text)))
}

/// The output text, with white space collapsed as it is written.
struct Output {
    text: String,
    space: bool,
}

impl Output {
    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.space = true;
        } else {
            if self.space && !self.text.is_empty() {
                self.text.push(' ');
            }
            self.space = false;
            self.text.push(c);
        }
    }

    fn push_str(&mut self, s: &str) {
        s.chars().for_each(|c| self.push(c));
    }
}

fn strip(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = Output {
        text: String::with_capacity(html.len()),
        space: false,
    };
    let mut i = 0;
    // Plain text is copied in runs between the `<` and `&` that need a look.
    let mut run = 0;
    while let Some(offset) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'<' || b == b'&'))
    {
        let at = i + offset;
        out.push_str(html.get(run..at).unwrap_or_default());
        let next = if bytes.get(at) == Some(&b'<') {
            tag(html, at, &mut out)
        } else {
            entity(html, at, &mut out)
        };
        // `next` is past what was consumed, or `at` itself when it was plain text.
        if next > at {
            i = next;
            run = next;
        } else {
            i = at + 1;
            run = at;
        }
    }
    out.push_str(html.get(run..).unwrap_or_default());
    out.text
}

/// Skips the tag (or comment) starting at `at`, returning where the text resumes; `at`
/// when it is not a tag after all (`a < b`).
fn tag(html: &str, at: usize, out: &mut Output) -> usize {
    let bytes = html.as_bytes();
    let rest = html.get(at..).unwrap_or_default();
    if rest.starts_with("<!--") {
        return rest.find("-->").map_or(html.len(), |end| at + end + 3);
    }
    let Some(&first) = bytes.get(at + 1) else {
        return at;
    };
    if !(first.is_ascii_alphabetic() || matches!(first, b'/' | b'!' | b'?')) {
        return at;
    }
    let Some(end) = tag_end(bytes, at + 1) else {
        return at;
    };
    let closing = first == b'/';
    let name_start = at + 1 + usize::from(closing);
    let name_len = bytes
        .get(name_start..end)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = html
        .get(name_start..name_start + name_len)
        .unwrap_or_default();
    if !closing && (name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style")) {
        // Skip the contents up to the matching closing tag.
        let close = find_ignore_case(bytes, end + 1, name);
        out.push(' ');
        return close
            .and_then(|close| tag_end(bytes, close))
            .map_or(html.len(), |close_end| close_end + 1);
    }
    if BLOCK_TAGS
        .iter()
        .any(|block| block.eq_ignore_ascii_case(name))
    {
        out.push(' ');
    }
    end + 1
}

/// The position of the `>` that ends a tag whose text starts at `from`, skipping quoted
/// attribute values.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (None, b'>') => return Some(i),
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            _ => {}
        }
    }
    None
}

/// The position of `</name` at or after `from`, ignoring ASCII case.
fn find_ignore_case(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    let len = name.len() + 2;
    (from..bytes.len().saturating_sub(len - 1)).find(|&i| {
        bytes.get(i..i + 2) == Some(b"</")
            && bytes
                .get(i + 2..i + len)
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    })
}

/// Decodes the entity starting at `at`, returning where the text resumes; `at` when it is
/// not an entity this function knows.
fn entity(html: &str, at: usize, out: &mut Output) -> usize {
    const LONGEST: usize = 10; // `&#x10FFFF;`
    let rest = html.get(at + 1..).unwrap_or_default();
    let Some(semicolon) = rest.bytes().take(LONGEST).position(|b| b == b';') else {
        return at;
    };
    let name = rest.get(..semicolon).unwrap_or_default();
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => numeric(name),
    };
    match decoded {
        Some(c) => {
            out.push(c);
            at + 1 + semicolon + 1
        }
        None => at,
    }
}

/// A numeric character reference without `&` and `;`: `#233` or `#xE9`.
fn numeric(name: &str) -> Option<char> {
    let number = name.strip_prefix('#')?;
    let (digits, radix) = match number.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16),
        None => (number, 10),
    };
    // `from_str_radix` would also take a sign.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    match u32::from_str_radix(digits, radix).ok()? {
        0 => Some('\u{fffd}'),
        code => char::from_u32(code),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn strip(html: &str) -> String {
        super::strip(html)
    }

    #[test]
    fn removes_tags_and_collapses_space() {
        assert_eq!(strip("<b>bold</b> and <i>it</i>alic"), "bold and italic");
        assert_eq!(strip("<p>one</p><p>two</p>"), "one two");
        assert_eq!(strip("line<br>break<br/>again<BR />"), "line break again");
        assert_eq!(strip("  \n<div>\n  spaced \t out </div>  "), "spaced out");
        assert_eq!(
            strip(r#"<a href="x?a=1&b=2" title="a > b">link</a>"#),
            "link"
        );
        assert_eq!(strip("<img src='x.png'>"), "");
    }

    #[test]
    fn drops_comments_scripts_and_styles() {
        assert_eq!(strip("a<!-- hidden <b> -->b"), "ab");
        assert_eq!(
            strip("<style>p { color: red }</style><p>x</p><SCRIPT>if (a < b) {}</script >y"),
            "x y"
        );
        assert_eq!(strip("a<!-- never closed"), "a");
        assert_eq!(strip("a<script>never closed"), "a");
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(
            strip("&amp; &lt;b&gt; &quot;q&quot; &#39;s&apos;"),
            "& <b> \"q\" 's'"
        );
        assert_eq!(strip("Caf&#233; &#xE9;&#XE9; &#x1F600;"), "Café éé 😀");
        assert_eq!(strip("a&nbsp;&nbsp;b"), "a b");
        assert_eq!(strip("&amp;lt;"), "&lt;");
    }

    #[test]
    fn keeps_what_is_not_markup() {
        assert_eq!(strip("a < b and c > d"), "a < b and c > d");
        assert_eq!(strip("AT&T & co"), "AT&T & co");
        assert_eq!(
            strip("&unknown; &#xZZ; &#; &#+1; &#99999999;"),
            "&unknown; &#xZZ; &#; &#+1; &#99999999;"
        );
        assert_eq!(strip("x <"), "x <");
        assert_eq!(strip("<unclosed tag"), "<unclosed tag");
        assert_eq!(strip("5 <3"), "5 <3");
        assert_eq!(strip(""), "");
    }

    #[test]
    fn through_the_function() {
        assert_eq!(
            call_builtin("strip_html", &[json!("<p>Hi &amp; bye</p>")]),
            Ok(json!("Hi & bye"))
        );
        assert_eq!(call_builtin("strip_html", &[json!(12)]), Ok(json!("12")));
        assert_eq!(call_builtin("strip_html", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("strip_html", &[json!(["<p>"])]).is_err());
    }
}
