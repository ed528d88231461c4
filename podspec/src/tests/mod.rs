//! Table-driven tests of `validate_file`: YAML in, rendered findings out, through one `check()`.

use expect_test::Expect;

use crate::{validate_file, Options, ResourceReport};

mod checks;
mod drops;
mod fast;
mod fields;
mod file;
mod lean;
mod names;
mod parse;
#[path = "../../tests/support/mutate.rs"]
mod support;

fn render(reports: &[ResourceReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let item = r.item.map(|i| format!("[{i}]")).unwrap_or_default();
        let name = r.name.as_deref().unwrap_or("-");
        out.push_str(&format!("doc{}{item} {} {name}\n", r.document, r.kind));
        for f in &r.findings {
            let at = match (f.line, f.column) {
                (Some(l), Some(c)) => format!("{l}:{c}"),
                _ => "?".to_owned(),
            };
            out.push_str(&format!(
                "  {:?} {} {} @{at}: {}\n",
                f.severity, f.rule, f.path, f.message
            ));
        }
    }
    out
}

pub(super) fn check(yaml: &str, expect: Expect) {
    expect.assert_eq(&render(&validate_file(yaml, &Options::default())));
}

pub(super) fn check_strict(yaml: &str, expect: Expect) {
    expect.assert_eq(&render(&validate_file(yaml, &Options { strict: true })));
}

/// A valid pod with `extra` appended to its first container (indented by 4).
pub(super) fn pod_with_container(extra: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n{extra}")
}

/// A valid pod with `extra` appended to its spec (indented by 2).
pub(super) fn pod_with_spec(extra: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n{extra}  containers:\n  - name: app\n    image: nginx:1.27\n")
}
