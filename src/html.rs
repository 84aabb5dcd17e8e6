//! `index.html` for a results folder: its `summary.md` as one
//! self-contained page (styles inline, no script, nothing fetched from the
//! network), so a folder opened in a browser shows its verdict tables, its
//! figures inline and its witnesses as links. [`crate::folder::Folder`]
//! writes it beside every `summary.md` it writes, so every results folder
//! has one and it never disagrees with its summary.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Inline styles: readable tables, figures no wider than the page, colours
/// that need no colour vision (the verdicts are words).
const STYLE: &str = "\
body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1b1b1b;background:#fff}\
main{max-width:1100px;margin:0 auto;padding:1.5rem}\
h1{font-size:1.7rem;margin-top:0}h2{font-size:1.3rem;margin-top:2rem}\
table{border-collapse:collapse;margin:0.8rem 0;font-size:0.9rem;display:block;overflow-x:auto}\
th,td{border:1px solid #c8c8c8;padding:0.25rem 0.5rem;text-align:left;vertical-align:top}\
th{background:#f0f0f0}tr:nth-child(even) td{background:#fafafa}\
img{max-width:100%;height:auto;border:1px solid #e0e0e0;margin:0.5rem 0}\
code{background:#f3f3f3;padding:0 0.2rem;border-radius:3px;font-size:0.9em}\
pre{background:#f6f6f6;padding:0.75rem;overflow-x:auto}\
a{color:#0057a8}footer{color:#555;font-size:0.85rem;margin-top:2rem}";

/// The page for `markdown` (a folder's summary.md). Its title is the first
/// level-1 heading, or `fallback`.
pub fn page(markdown: &str, fallback: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut title = String::new();
    let mut in_title = false;
    let mut seen_title = false;
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options)
        // Raw HTML in a summary (none is written) is shown as text.
        .map(|e| match e {
            Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
            e => e,
        })
        .inspect(|e| match e {
            Event::Start(Tag::Heading { level, .. }) if *level == pulldown_cmark::HeadingLevel::H1 && !seen_title => {
                in_title = true;
            }
            Event::End(TagEnd::Heading(_)) if in_title => {
                in_title = false;
                seen_title = true;
            }
            Event::Text(t) | Event::Code(t) if in_title => title.push_str(t),
            _ => {}
        })
        .collect();
    let mut body = String::new();
    html::push_html(&mut body, events.into_iter());
    if title.is_empty() {
        title = fallback.to_string();
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\
         <footer>This page is summary.md of this folder, written by byzlab beside it; \
         <a href=\"summary.md\">summary.md</a>, <a href=\"README.md\">README.md</a> (the command that made it).</footer>\n\
         </main>\n</body>\n</html>\n",
        escape(&title)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_figures_and_links_become_html_and_raw_html_does_not() {
        let md = "# bound <x>\n\n| n \\ f | 1 |\n|---|---|\n| 4 | **holds** |\n\n![OM](heatmap-om.svg)\n\n\
                  - cell 3 ([witness](witnesses/cell-3.json))\n\n<script>alert(1)</script>\n";
        let page = page(md, "results");
        assert!(page.contains("<title>bound &lt;x&gt;</title>"), "{page}");
        assert!(
            page.contains("<table>") && page.contains("<strong>holds</strong>"),
            "{page}"
        );
        assert!(page.contains("<img src=\"heatmap-om.svg\" alt=\"OM\""), "{page}");
        assert!(page.contains("<a href=\"witnesses/cell-3.json\">witness</a>"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
        assert!(self::page("no heading", "fallback").contains("<title>fallback</title>"));
    }
}
