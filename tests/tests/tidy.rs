//! Tidy checks on the repository itself: the documents a newcomer reads stay true.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
}

#[test]
fn architecture_md_mentions_every_workspace_crate() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("root Cargo.toml");
    let architecture =
        std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let members = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("workspace members list");
    let mut checked = 0;
    for member in members
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
    {
        assert!(
            architecture.contains(&format!("`{member}/`")),
            "ARCHITECTURE.md has no section for `{member}/`"
        );
        checked += 1;
    }
    assert!(
        checked >= 7,
        "expected the seven workspace crates, found {checked}"
    );
}

#[test]
fn readme_has_the_two_setup_commands_and_ci_runs_the_test_one() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    assert!(
        readme.contains("scripts/demo.sh"),
        "README lacks the main-job command"
    );
    assert!(
        readme.contains("scripts/test.sh"),
        "README lacks the test command"
    );
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(
        ci.contains("scripts/test.sh"),
        ".ci/run must run the README's test command"
    );
}
