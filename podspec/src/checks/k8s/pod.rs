//! Pod-level fields of `ValidatePodSpec` that no other area owns: deadlines, hostname,
//! names of service account, node, scheduler, priority and runtime classes, readiness and
//! scheduling gates, overhead, the OS field and what it forbids, host namespaces and claims.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::PodSpec;

use super::{grammar, resources, say, Template};
use crate::finding::{Path, Sink};
use crate::rules::K8S_POD as RULE;

/// Checks the pod-level fields of `spec` at `at`.
pub(super) fn check(spec: &PodSpec, at: &Path, template: Template, sink: &mut Sink) {
    if let Some(v) = spec.active_deadline_seconds {
        if template == Template::Deployment {
            say::forbidden(
                sink,
                RULE,
                at.key("activeDeadlineSeconds"),
                "activeDeadlineSeconds in ReplicaSet is not Supported",
            );
        } else if !(1..=i64::from(i32::MAX)).contains(&v) {
            say::invalid(
                sink,
                RULE,
                at.key("activeDeadlineSeconds"),
                v,
                "must be between 1 and 2147483647, inclusive",
            );
        }
    }
    say::non_negative(
        sink,
        RULE,
        || at.key("terminationGracePeriodSeconds"),
        spec.termination_grace_period_seconds,
    );
    for (field, value, check) in [
        (
            "hostname",
            &spec.hostname,
            grammar::label as fn(&str) -> Option<String>,
        ),
        ("subdomain", &spec.subdomain, grammar::label),
        (
            "serviceAccountName",
            &spec.service_account_name,
            grammar::subdomain,
        ),
        ("schedulerName", &spec.scheduler_name, grammar::subdomain),
        (
            "priorityClassName",
            &spec.priority_class_name,
            grammar::subdomain,
        ),
        (
            "runtimeClassName",
            &spec.runtime_class_name,
            grammar::subdomain,
        ),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            say::grammar(sink, RULE, || at.key(field), v, check);
        }
    }
    say::one_of(
        sink,
        RULE,
        || at.key("preemptionPolicy"),
        spec.preemption_policy.as_deref(),
        &["Never", "PreemptLowerPriority"],
    );
    if spec.share_process_namespace == Some(true) && spec.host_pid == Some(true) {
        say::invalid(
            sink,
            RULE,
            at.key("shareProcessNamespace"),
            "true",
            "ShareProcessNamespace and HostPID cannot both be enabled",
        );
    }
    if spec.host_users == Some(false) {
        for (field, set) in [
            ("hostNetwork", spec.host_network),
            ("hostPID", spec.host_pid),
            ("hostIPC", spec.host_ipc),
        ] {
            if set == Some(true) {
                say::forbidden(sink, RULE, at.key(field), "when `hostUsers` is false");
            }
        }
    }
    if spec
        .ephemeral_containers
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        let detail = match template {
            Template::Pod => "cannot be set on create",
            _ => "ephemeral containers not allowed in pod template",
        };
        say::forbidden(sink, RULE, at.key("ephemeralContainers"), detail);
    }
    for (i, g) in spec.readiness_gates.iter().flatten().enumerate() {
        let here = || at.key("readinessGates").idx(i).key("conditionType");
        say::grammar(sink, RULE, here, &g.condition_type, grammar::qualified);
    }
    let mut gates = HashSet::new();
    for (i, g) in spec.scheduling_gates.iter().flatten().enumerate() {
        let here = || at.key("schedulingGates").idx(i).key("name");
        say::grammar(sink, RULE, here, &g.name, grammar::qualified);
        if !gates.insert(g.name.as_str()) {
            say::duplicate(sink, RULE, here(), say::quoted(&g.name));
        }
    }
    if let Some(overhead) = &spec.overhead {
        resources::check_list(overhead, &at.key("overhead"), RULE, sink);
    }
    check_claims(spec, at, sink);
    check_os(spec, at, sink);
}

/// `validatePodResourceClaims`: unique DNS-1123 label names, exactly one source.
fn check_claims(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    let mut names = HashSet::new();
    for (i, c) in spec.resource_claims.iter().flatten().enumerate() {
        let here = at.key("resourceClaims").idx(i);
        say::grammar(sink, RULE, || here.key("name"), &c.name, grammar::label);
        if !names.insert(c.name.as_str()) {
            say::duplicate(sink, RULE, here.key("name"), say::quoted(&c.name));
        }
        match (&c.resource_claim_name, &c.resource_claim_template_name) {
            (Some(_), Some(_)) => say::invalid(
                sink,
                RULE,
                here.clone(),
                "{…}",
                "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified",
            ),
            (None, None) => say::invalid(
                sink,
                RULE,
                here.clone(),
                "{…}",
                "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
            ),
            _ => {}
        }
    }
}

/// `validateOS` and `validateWindows`/`validateLinux`: the OS name, and the fields of the
/// other OS it forbids.
fn check_os(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    let Some(os) = &spec.os else {
        return;
    };
    let name = os.name.as_str();
    if name != "linux" && name != "windows" {
        say::unsupported(
            sink,
            RULE,
            at.key("os").key("name"),
            name,
            &["linux", "windows"],
        );
        return;
    }
    let windows = name == "windows";
    let forbid = |sink: &mut Sink, path: Path| {
        let detail = if windows {
            "cannot be set for a windows pod"
        } else {
            "windows options cannot be set for a linux pod"
        };
        say::forbidden(sink, RULE, path, detail);
    };
    let psc = at.key("securityContext");
    if let Some(sc) = &spec.security_context {
        if windows {
            for (field, set) in [
                ("seLinuxOptions", sc.se_linux_options.is_some()),
                ("seccompProfile", sc.seccomp_profile.is_some()),
                ("appArmorProfile", sc.app_armor_profile.is_some()),
                ("fsGroup", sc.fs_group.is_some()),
                ("fsGroupChangePolicy", sc.fs_group_change_policy.is_some()),
                ("sysctls", sc.sysctls.is_some()),
                ("runAsUser", sc.run_as_user.is_some()),
                ("runAsGroup", sc.run_as_group.is_some()),
                ("supplementalGroups", sc.supplemental_groups.is_some()),
            ] {
                if set {
                    forbid(sink, psc.key(field));
                }
            }
        } else if sc.windows_options.is_some() {
            forbid(sink, psc.key("windowsOptions"));
        }
    }
    if windows && spec.share_process_namespace.is_some() {
        forbid(sink, at.key("shareProcessNamespace"));
    }
    for (list, containers) in super::containers_of(spec) {
        for (i, c) in containers.iter().enumerate() {
            let Some(sc) = &c.security_context else {
                continue;
            };
            let here = at.key(list).idx(i).key("securityContext");
            if windows {
                for (field, set) in [
                    ("seLinuxOptions", sc.se_linux_options.is_some()),
                    ("seccompProfile", sc.seccomp_profile.is_some()),
                    ("appArmorProfile", sc.app_armor_profile.is_some()),
                    ("capabilities", sc.capabilities.is_some()),
                    (
                        "readOnlyRootFilesystem",
                        sc.read_only_root_filesystem.is_some(),
                    ),
                    ("privileged", sc.privileged.is_some()),
                    (
                        "allowPrivilegeEscalation",
                        sc.allow_privilege_escalation.is_some(),
                    ),
                    ("procMount", sc.proc_mount.is_some()),
                    ("runAsUser", sc.run_as_user.is_some()),
                    ("runAsGroup", sc.run_as_group.is_some()),
                ] {
                    if set {
                        forbid(sink, here.key(field));
                    }
                }
            } else if sc.windows_options.is_some() {
                forbid(sink, here.key("windowsOptions"));
            }
        }
    }
}
