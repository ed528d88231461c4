//! Redaction of two versions of one runtimeConfig side by side, for `ank diff`: a secret value
//! that is the same on both sides (or on one side only) becomes [`REDACTED`], one that changed
//! becomes [`CHANGED_BEFORE`] on the old side and [`CHANGED_AFTER`] on the new, so the diff
//! shows that it changed, never what it was or is (as `kubectl diff` masks Secrets).
//!
//! Values are matched by where they are (env name, Secret key, document), not by order, so an
//! added variable does not mark the others as changed.

use std::collections::HashMap;

use super::{redact_config, Found, REDACTED};

/// A secret value that changed, as the old side shows it.
pub const CHANGED_BEFORE: &str = "<redacted (before)>";
/// A secret value that changed, as the new side shows it.
pub const CHANGED_AFTER: &str = "<redacted (after)>";

/// `old` and `new` runtimeConfigs (each `(runtime, config)`) of one workload, redacted for a
/// diff. Where the texts differ but the redacted forms would not (a change hidden whole, as in
/// a config that does not parse, or one of form only), a last comment line tells them apart.
pub fn redact_pair(old: (&str, &str), new: (&str, &str)) -> (String, String) {
    let old_sites = sites(old);
    let new_sites = sites(new);
    let changed = |path: &str| {
        matches!(
            (old_sites.get(path), new_sites.get(path)),
            (Some(before), Some(after)) if before != after
        )
    };
    let before = |path: &str| {
        if changed(path) {
            CHANGED_BEFORE
        } else {
            REDACTED
        }
    };
    let after = |path: &str| {
        if changed(path) {
            CHANGED_AFTER
        } else {
            REDACTED
        }
    };
    let mut old_text = redact_with(old, &before);
    let mut new_text = redact_with(new, &after);
    if old_text == new_text && old != new {
        old_text.push_str(&format!("# {CHANGED_BEFORE}\n"));
        new_text.push_str(&format!("# {CHANGED_AFTER}\n"));
    }
    (old_text, new_text)
}

/// Each hidden value of a config by its path.
fn sites((runtime, config): (&str, &str)) -> HashMap<String, String> {
    let mut found = Found {
        by_path: true,
        ..Found::default()
    };
    redact_config(runtime, config, &mut found);
    found.sites
}

/// [`super::redact_runtime_config`] with each hidden value replaced by `marker` of its path.
fn redact_with((runtime, config): (&str, &str), marker: &dyn Fn(&str) -> &'static str) -> String {
    let mut found = Found {
        by_path: true,
        marker: Some(marker),
        ..Found::default()
    };
    redact_config(runtime, config, &mut found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime_config::{NATIVE, PODMAN, PODMAN_KUBE};

    fn no_secret(texts: &[&str], secrets: &[&str]) {
        for text in texts {
            for secret in secrets {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
    }

    #[test]
    fn native_env_changes_are_marked_by_name() {
        let old = "command: [a]\nenv: {A: same, B: old1}\n";
        let new = "command: [a]\nenv: {A: same, B: new1, C: added}\n";
        let (old, new) = redact_pair((NATIVE, old), (NATIVE, new));
        assert_eq!(
            old,
            "command:\n- a\nenv:\n  A: <redacted>\n  B: <redacted (before)>\n"
        );
        assert_eq!(
            new,
            "command:\n- a\nenv:\n  A: <redacted>\n  B: <redacted (after)>\n  C: <redacted>\n"
        );
        no_secret(&[&old, &new], &["same", "old1", "new1", "added"]);
    }

    #[test]
    fn podman_env_options_are_matched_by_name_and_order() {
        let old = "image: x\ncommandOptions: [-e, K=v1, --env=L=same, -e, K=dup]\n";
        let new = "image: x\ncommandOptions: [--env=N=new, -e, K=v2, --env=L=same, -e, K=dup]\n";
        let (old, new) = redact_pair((PODMAN, old), (PODMAN, new));
        assert!(
            old.contains("- K=<redacted (before)>\n- --env=L=<redacted>\n"),
            "{old}"
        );
        assert!(
            old.contains("- K=<redacted>\n"),
            "the second K is unchanged: {old}"
        );
        assert!(
            new.contains("- --env=N=<redacted>\n- -e\n- K=<redacted (after)>\n"),
            "{new}"
        );
        no_secret(&[&old, &new], &["v1", "v2", "same", "dup", "new"]);
    }

    #[test]
    fn kube_secrets_and_env_are_matched_by_key_and_name() {
        let old = "manifest: |\n  kind: Secret\n  data: {pw: b2xk, user: dXNy}\n  ---\n  kind: Pod\n  spec:\n    containers:\n    - env: [{name: B, value: keep}]\n";
        let new = "manifest: |\n  kind: Secret\n  data: {pw: bmV3, user: dXNy}\n  ---\n  kind: Pod\n  spec:\n    containers:\n    - env: [{name: A, value: added}, {name: B, value: keep}]\n";
        let (old, new) = redact_pair((PODMAN_KUBE, old), (PODMAN_KUBE, new));
        assert!(
            old.contains("pw: <redacted (before)>\n    user: <redacted>"),
            "{old}"
        );
        assert!(
            new.contains("pw: <redacted (after)>\n    user: <redacted>"),
            "{new}"
        );
        // B moved to the second place but kept its value.
        assert!(!new.contains("value: <redacted (after)>"), "{new}");
        no_secret(&[&old, &new], &["b2xk", "bmV3", "dXNy", "keep", "added"]);
    }

    #[test]
    fn a_change_hidden_whole_is_still_shown() {
        let (old, new) = redact_pair((NATIVE, "env: [unclosed, s1"), (NATIVE, "env: [s2"));
        assert_ne!(old, new);
        assert!(old.ends_with(&format!("# {CHANGED_BEFORE}\n")), "{old}");
        assert!(new.ends_with(&format!("# {CHANGED_AFTER}\n")), "{new}");
        no_secret(&[&old, &new], &["s1", "s2"]);
        let same = "command: [a]\nenv: {A: s}\n";
        let (old, new) = redact_pair((NATIVE, same), (NATIVE, same));
        assert_eq!(old, new);
        assert!(!old.contains("before") && !old.contains('#'), "{old}");
    }
}
