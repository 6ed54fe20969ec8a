//! Pagination: which URL the next page of a listing is at, and when the listing ends.
//! Pure logic, kept apart from the sending so every style is tested on its own.
//!
//! Paging ends, in every style, at the first of:
//! - a page without records;
//! - the `stop` path: after each page its value is read; `false`, `null`, a missing
//!   value or empty text end paging, a number is the total (paging ends once that many
//!   records were read), anything else (`true`, text) goes on;
//! - `page` and `offset` with a `size`: a page holding fewer records than `size`;
//! - `cursor`, `next_url` and `link_header`: no next cursor or URL (missing, null or
//!   empty);
//! - without `paginate`: after the first page.
//!
//! A next cursor or URL equal to the one just used would loop for ever: the listing
//! fails instead.

use serde_json::Value;
use url::Url;

use crate::engine::identity::lookup;
use crate::pipeline::{PageParams, Paginate};

/// What to do after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Fetch this URL.
    Page(Url),
    /// The listing is complete.
    Done,
    /// The listing cannot go on (the message says why).
    Fail(String),
}

/// What a page told: its body, its `Link` header, how many records it held.
pub struct PageSeen<'a> {
    /// The page's JSON body.
    pub body: &'a Value,
    /// Its `Link` header, if any.
    pub link: Option<&'a str>,
    /// How many records it held.
    pub count: usize,
}

/// Walks the pages of one listing.
pub struct Pager<'c> {
    style: Option<&'c Paginate>,
    stop: Option<&'c str>,
    /// The first page's URL: the source's URL with its query (and the incremental
    /// parameter) added; page, offset and cursor parameters are added to it.
    base: Url,
    /// The URL of the page just fetched.
    current: Url,
    /// Page number (from 1) or offset (from 0) of the page just fetched.
    position: u64,
    /// The cursor sent with the page just fetched.
    cursor: Option<String>,
    /// Records read so far.
    read: u64,
}

impl<'c> Pager<'c> {
    /// A pager starting at `base`.
    pub fn new(style: Option<&'c Paginate>, stop: Option<&'c str>, base: Url) -> Pager<'c> {
        let mut pager = Pager {
            style,
            stop,
            current: base.clone(),
            base,
            position: 0,
            cursor: None,
            read: 0,
        };
        pager.position = match style {
            Some(Paginate::Page(_)) => 1,
            _ => 0,
        };
        pager.current = pager.numbered(pager.position);
        pager
    }

    /// The URL of the first page.
    pub fn first(&self) -> Url {
        self.current.clone()
    }

    /// The URL of the page `pages` after the one just fetched, assuming the listing
    /// goes on that far and every page is full, where the style allows telling it in
    /// advance: `page` always, `offset` with a `size`. `None` for the styles whose
    /// next page is only known from the answer (cursors, URLs, `Link` headers).
    pub fn ahead(&self, pages: u64) -> Option<Url> {
        let position = match self.style {
            Some(Paginate::Page(_)) => self.position.checked_add(pages)?,
            Some(Paginate::Offset(PageParams {
                size: Some(size), ..
            })) => self
                .position
                .checked_add(pages.checked_mul(u64::from(*size))?)?,
            _ => return None,
        };
        Some(self.numbered(position))
    }

    /// Records read so far.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// The base URL with the page or offset parameters (and the cursor) set.
    fn numbered(&self, position: u64) -> Url {
        let mut url = self.base.clone();
        match self.style {
            Some(Paginate::Page(p) | Paginate::Offset(p)) => {
                let mut pairs = url.query_pairs_mut();
                pairs.append_pair(&p.param, &position.to_string());
                if let (Some(param), Some(size)) = (&p.size_param, p.size) {
                    pairs.append_pair(param, &size.to_string());
                }
            }
            Some(Paginate::Cursor(c)) => {
                if let Some(cursor) = &self.cursor {
                    url.query_pairs_mut().append_pair(&c.param, cursor);
                }
            }
            _ => {}
        }
        url
    }

    /// Decides on the page after the one just fetched.
    pub fn next(&mut self, page: &PageSeen<'_>) -> Next {
        self.read += page.count as u64;
        if page.count == 0 {
            return Next::Done;
        }
        if let Some(path) = self.stop {
            match lookup(page.body, path) {
                None | Some(Value::Bool(false)) => return Next::Done,
                Some(Value::String(s)) if s.is_empty() => return Next::Done,
                Some(Value::Number(n)) => {
                    if n.as_f64().is_some_and(|total| self.read as f64 >= total) {
                        return Next::Done;
                    }
                }
                Some(_) => {}
            }
        }
        let next = match self.style {
            None => return Next::Done,
            Some(Paginate::Page(p) | Paginate::Offset(p)) => {
                if p.size
                    .is_some_and(|size| (page.count as u64) < u64::from(size))
                {
                    return Next::Done;
                }
                self.position += match self.style {
                    Some(Paginate::Page(_)) => 1,
                    _ => page.count as u64,
                };
                self.numbered(self.position)
            }
            Some(Paginate::Cursor(c)) => {
                let Some(cursor) = lookup(page.body, &c.next).and_then(text) else {
                    return Next::Done;
                };
                if self.cursor.as_deref() == Some(cursor.as_str()) {
                    return Next::Fail(format!(
                        "the API gave the same next cursor (`{}`) twice; paging stopped",
                        c.next
                    ));
                }
                self.cursor = Some(cursor);
                self.numbered(0)
            }
            Some(Paginate::NextUrl(n)) => {
                let Some(next) = lookup(page.body, &n.next).and_then(text) else {
                    return Next::Done;
                };
                match self.current.join(&next) {
                    Ok(url) => url,
                    Err(e) => {
                        return Next::Fail(format!(
                            "the next page's URL at `{}` is not valid ({e})",
                            n.next
                        ));
                    }
                }
            }
            Some(Paginate::LinkHeader) => {
                let Some(next) = page.link.and_then(link_next) else {
                    return Next::Done;
                };
                match self.current.join(&next) {
                    Ok(url) => url,
                    Err(e) => {
                        return Next::Fail(format!(
                            "the `Link` header's next URL is not valid ({e})"
                        ));
                    }
                }
            }
        };
        if next == self.current {
            return Next::Fail(
                "the API named the page just read as the next one; paging stopped".into(),
            );
        }
        self.current = next.clone();
        Next::Page(next)
    }
}

/// A cursor or URL as text: strings as they are, numbers written out; empty is none.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `rel="next"` target of a `Link` header (RFC 8288), if it has one.
pub fn link_next(header: &str) -> Option<String> {
    // Links are separated by commas outside `<…>`.
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        // The parameters, without the comma before the next link.
        let params = after[..params_end].trim().trim_end_matches(',');
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim().to_string());
        }
        rest = &after[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pipeline::{CursorParams, NextUrlParams};

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a URL")
    }

    fn seen(body: &Value, count: usize) -> PageSeen<'_> {
        PageSeen {
            body,
            link: None,
            count,
        }
    }

    #[test]
    fn pages_count_from_one_and_stop_on_a_short_page() {
        let style = Paginate::Page(PageParams {
            param: "page".into(),
            size_param: Some("per_page".into()),
            size: Some(2),
        });
        let mut pager = Pager::new(Some(&style), None, url("http://h/p?x=1"));
        assert_eq!(pager.first().as_str(), "http://h/p?x=1&page=1&per_page=2");
        let body = json!([]);
        assert_eq!(
            pager.next(&seen(&body, 2)),
            Next::Page(url("http://h/p?x=1&page=2&per_page=2"))
        );
        assert_eq!(pager.next(&seen(&body, 1)), Next::Done);
        assert_eq!(pager.read(), 3);
    }

    #[test]
    fn pages_and_sized_offsets_are_known_ahead_and_match_what_next_gives() {
        let style = Paginate::Page(PageParams {
            param: "page".into(),
            size_param: None,
            size: None,
        });
        let mut pager = Pager::new(Some(&style), None, url("http://h/p"));
        assert_eq!(pager.ahead(0), Some(pager.first()));
        assert_eq!(pager.ahead(2), Some(url("http://h/p?page=3")));
        let body = json!([]);
        assert_eq!(
            pager.next(&seen(&body, 7)),
            Next::Page(url("http://h/p?page=2"))
        );
        assert_eq!(pager.ahead(1), Some(url("http://h/p?page=3")));

        let style = Paginate::Offset(PageParams {
            param: "offset".into(),
            size_param: Some("limit".into()),
            size: Some(10),
        });
        let mut pager = Pager::new(Some(&style), None, url("http://h/p"));
        assert_eq!(pager.ahead(1), Some(url("http://h/p?offset=10&limit=10")));
        let predicted = pager.ahead(1);
        assert_eq!(
            pager.next(&seen(&body, 10)),
            Next::Page(url("http://h/p?offset=10&limit=10"))
        );
        assert_eq!(predicted, Some(url("http://h/p?offset=10&limit=10")));
        assert_eq!(pager.ahead(2), Some(url("http://h/p?offset=30&limit=10")));

        let unsized_offsets = Paginate::Offset(PageParams {
            param: "offset".into(),
            size_param: None,
            size: None,
        });
        assert_eq!(
            Pager::new(Some(&unsized_offsets), None, url("http://h/p")).ahead(1),
            None
        );
        assert_eq!(
            Pager::new(Some(&Paginate::LinkHeader), None, url("http://h/p")).ahead(1),
            None
        );
        assert_eq!(Pager::new(None, None, url("http://h/p")).ahead(1), None);
    }

    #[test]
    fn offsets_advance_by_the_records_read_until_an_empty_page() {
        let style = Paginate::Offset(PageParams {
            param: "offset".into(),
            size_param: Some("limit".into()),
            size: None,
        });
        let mut pager = Pager::new(Some(&style), None, url("http://h/p"));
        assert_eq!(pager.first().as_str(), "http://h/p?offset=0");
        let body = json!({});
        assert_eq!(
            pager.next(&seen(&body, 3)),
            Next::Page(url("http://h/p?offset=3"))
        );
        assert_eq!(pager.next(&seen(&body, 0)), Next::Done);
    }

    #[test]
    fn cursors_come_from_the_body_and_must_move() {
        let style = Paginate::Cursor(CursorParams {
            param: "after".into(),
            next: "meta.next".into(),
        });
        let mut pager = Pager::new(Some(&style), None, url("http://h/p?q=a"));
        assert_eq!(pager.first().as_str(), "http://h/p?q=a");
        let body = json!({"meta": {"next": "c2"}});
        assert_eq!(
            pager.next(&seen(&body, 5)),
            Next::Page(url("http://h/p?q=a&after=c2"))
        );
        assert!(matches!(pager.next(&seen(&body, 5)), Next::Fail(_)));
        let end = json!({"meta": {"next": null}});
        let mut pager = Pager::new(Some(&style), None, url("http://h/p"));
        assert_eq!(pager.next(&seen(&end, 5)), Next::Done);
    }

    #[test]
    fn next_urls_may_be_relative() {
        let style = Paginate::NextUrl(NextUrlParams {
            next: "links.next".into(),
        });
        let mut pager = Pager::new(Some(&style), None, url("http://h/api/p"));
        let body = json!({"links": {"next": "/api/p?page=2"}});
        assert_eq!(
            pager.next(&seen(&body, 1)),
            Next::Page(url("http://h/api/p?page=2"))
        );
        let end = json!({"links": {"next": ""}});
        assert_eq!(pager.next(&seen(&end, 1)), Next::Done);
    }

    #[test]
    fn link_headers_give_the_next_page() {
        assert_eq!(
            link_next(r#"<http://h/p?page=1>; rel="prev", <http://h/p?page=3>; rel="next""#),
            Some("http://h/p?page=3".into())
        );
        assert_eq!(link_next(r#"<http://h/p?page=1>; rel="first last""#), None);
        assert_eq!(link_next("</p?a=1,2>; rel=next"), Some("/p?a=1,2".into()));
        assert_eq!(
            link_next(r#"<p?page=2>; rel="next", <p?page=1>; rel="first""#),
            Some("p?page=2".into())
        );
        let style = Paginate::LinkHeader;
        let mut pager = Pager::new(Some(&style), None, url("http://h/p"));
        let body = json!([1]);
        let page = PageSeen {
            body: &body,
            link: Some(r#"</p?page=2>; rel="next""#),
            count: 1,
        };
        assert_eq!(pager.next(&page), Next::Page(url("http://h/p?page=2")));
    }

    #[test]
    fn stop_reads_a_flag_or_a_total() {
        let style = Paginate::Page(PageParams {
            param: "page".into(),
            size_param: None,
            size: None,
        });
        let mut pager = Pager::new(Some(&style), Some("meta.more"), url("http://h/p"));
        assert!(matches!(
            pager.next(&seen(&json!({"meta": {"more": true}}), 2)),
            Next::Page(_)
        ));
        assert_eq!(
            pager.next(&seen(&json!({"meta": {"more": false}}), 2)),
            Next::Done
        );
        let mut pager = Pager::new(Some(&style), Some("total"), url("http://h/p"));
        assert!(matches!(
            pager.next(&seen(&json!({"total": 5}), 3)),
            Next::Page(_)
        ));
        assert_eq!(pager.next(&seen(&json!({"total": 5}), 2)), Next::Done);
        let mut pager = Pager::new(None, None, url("http://h/p"));
        assert_eq!(pager.next(&seen(&json!([]), 2)), Next::Done);
    }
}
