//! `validateVolumeMounts` beyond `checks::pod`'s names and paths: `subPath`/`subPathExpr`,
//! mount propagation and recursive read-only mounts.

use k8s_openapi::api::core::v1::Container;

use super::{grammar, say};
use crate::finding::{Path, Sink};
use crate::rules::K8S_MOUNT as RULE;

/// Checks the volume mounts of container `c` at `at`.
pub(super) fn check(c: &Container, at: &Path, sink: &mut Sink) {
    let privileged = c
        .security_context
        .as_ref()
        .and_then(|s| s.privileged)
        .unwrap_or(false);
    for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
        let here = at.key("volumeMounts").idx(i);
        let sub_path = m.sub_path.as_deref().filter(|s| !s.is_empty());
        let sub_expr = m.sub_path_expr.as_deref().filter(|s| !s.is_empty());
        if sub_path.is_some() && sub_expr.is_some() {
            say::invalid_str(
                sink,
                RULE,
                here.key("subPathExpr"),
                sub_expr.unwrap_or_default(),
                "subPathExpr and subPath are mutually exclusive",
            );
        }
        for (field, value) in [("subPath", sub_path), ("subPathExpr", sub_expr)] {
            if let Some(v) = value {
                say::grammar(sink, RULE, || here.key(field), v, grammar::descending_path);
            }
        }
        let propagation = m.mount_propagation.as_deref();
        say::one_of(
            sink,
            RULE,
            || here.key("mountPropagation"),
            propagation,
            &["Bidirectional", "HostToContainer", "None"],
        );
        if propagation == Some("Bidirectional") && !privileged {
            say::forbidden(
                sink,
                RULE,
                here.key("mountPropagation"),
                "Bidirectional mount propagation is available only to privileged containers",
            );
        }
        let rro = m.recursive_read_only.as_deref();
        say::one_of(
            sink,
            RULE,
            || here.key("recursiveReadOnly"),
            rro,
            &["Disabled", "Enabled", "IfPossible"],
        );
        if rro.is_some_and(|r| r != "Disabled") {
            if m.read_only != Some(true) {
                say::forbidden(
                    sink,
                    RULE,
                    here.key("recursiveReadOnly"),
                    "may only be specified when readOnly is true",
                );
            } else if rro == Some("Enabled") && propagation.is_some_and(|p| p != "None") {
                say::forbidden(
                    sink,
                    RULE,
                    here.key("recursiveReadOnly"),
                    "may only be specified when mountPropagation is None or not specified",
                );
            }
        }
    }
}
