//! Issue 25 item 5: every results folder has an `index.html`, its
//! summary.md as a page, whose every link and figure resolves, and a sweep's
//! links every witness.

use std::path::Path;

/// Every `href="..."` and `src="..."` in `page`.
fn targets(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = page;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

#[test]
fn the_link_finder_can_fail() {
    let t = targets("<a href=\"a.json\">x</a><img src=\"b.svg\" alt=\"\">");
    assert_eq!(t, ["a.json", "b.svg"]);
    assert!(targets("<p>none</p>").is_empty());
}

#[test]
fn every_results_folder_has_a_page_whose_links_resolve() {
    let mut pages = 0;
    for e in std::fs::read_dir("results").unwrap() {
        let dir = e.unwrap().path();
        if !dir.join("summary.md").exists() {
            continue;
        }
        let index = dir.join("index.html");
        let page = std::fs::read_to_string(&index).unwrap_or_else(|_| panic!("{} is missing", index.display()));
        // Made from its summary by the committed code, not edited.
        let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
        let folder = dir.file_name().unwrap().to_string_lossy();
        assert_eq!(
            page,
            byzlab::html::page(&md, &format!("results/{folder}")),
            "{} is not its summary.md as byzlab writes it: rerun the command in its README.md",
            index.display()
        );
        for t in targets(&page) {
            if t.starts_with("http") || t.starts_with('#') {
                continue;
            }
            let file = t.split('#').next().unwrap();
            assert!(
                dir.join(file).is_file(),
                "{}: the link `{t}` leads nowhere",
                index.display()
            );
        }
        pages += 1;
    }
    assert!(pages >= 15, "only {pages} results folders have a summary.md");
}

#[test]
fn results_bound_index_links_every_witness_and_its_shrunk_run() {
    let page = std::fs::read_to_string("results/bound/index.html").unwrap();
    let linked = targets(&page);
    let mut witnesses = 0;
    for e in std::fs::read_dir(Path::new("results/bound/witnesses")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            assert!(
                linked.contains(&format!("witnesses/{name}")),
                "results/bound/index.html does not link witnesses/{name}"
            );
            witnesses += 1;
        }
    }
    assert!(witnesses >= 2, "{witnesses} witnesses");
    assert!(
        page.contains("deviations -&gt;") || page.contains("deviation -&gt;"),
        "no shrunk counts"
    );
}
