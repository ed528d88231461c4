//! `validatePodSecurityContext` and `ValidateSecurityContext`: user and group ids, change
//! policies, sysctls, seccomp and AppArmor (fields and the legacy annotations), privilege and
//! `procMount`.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::core::v1::{AppArmorProfile, PodSpec, SeccompProfile, SecurityContext};

use super::{grammar, say};
use crate::finding::{Path, Sink};
use crate::rules::K8S_SECURITY as RULE;

/// `maxLocalhostProfileLength` of AppArmor.
const MAX_APPARMOR_PROFILE: usize = 4095;
const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
const SECCOMP_POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// `ValidateUserID`/`ValidateGroupID`.
fn id(sink: &mut Sink, at: impl FnOnce() -> Path, value: Option<i64>) {
    if let Some(v) = value.filter(|v| !(0..=i64::from(i32::MAX)).contains(v)) {
        say::invalid(
            sink,
            RULE,
            at(),
            v,
            "must be between 0 and 2147483647, inclusive",
        );
    }
}

/// Checks the pod's and every container's security context of `spec` at `at`.
pub(super) fn check(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    if let Some(sc) = &spec.security_context {
        let here = at.key("securityContext");
        id(sink, || here.key("runAsUser"), sc.run_as_user);
        id(sink, || here.key("runAsGroup"), sc.run_as_group);
        id(sink, || here.key("fsGroup"), sc.fs_group);
        for (i, g) in sc.supplemental_groups.iter().flatten().enumerate() {
            id(sink, || here.key("supplementalGroups").idx(i), Some(*g));
        }
        for (field, value, allowed) in [
            (
                "fsGroupChangePolicy",
                &sc.fs_group_change_policy,
                &["OnRootMismatch", "Always"],
            ),
            (
                "supplementalGroupsPolicy",
                &sc.supplemental_groups_policy,
                &["Merge", "Strict"],
            ),
            (
                "seLinuxChangePolicy",
                &sc.se_linux_change_policy,
                &["MountOption", "Recursive"],
            ),
        ] {
            say::one_of(sink, RULE, || here.key(field), value.as_deref(), allowed);
        }
        let mut names = HashSet::new();
        for (i, s) in sc.sysctls.iter().flatten().enumerate() {
            let name_at = || here.key("sysctls").idx(i).key("name");
            if s.name.is_empty() {
                say::required(sink, RULE, name_at(), "");
                continue;
            }
            say::grammar(sink, RULE, name_at, &s.name, grammar::sysctl);
            if !names.insert(s.name.as_str()) {
                say::duplicate(sink, RULE, name_at(), say::quoted(&s.name));
            }
            let ipc = s.name.starts_with("kernel.shm")
                || s.name.starts_with("kernel.msg")
                || s.name == "kernel.sem"
                || s.name.starts_with("fs.mqueue.");
            if spec.host_network == Some(true) && s.name.starts_with("net.") {
                say::invalid_str(
                    sink,
                    RULE,
                    name_at(),
                    &s.name,
                    "sysctl not allowed with host net enabled",
                );
            } else if spec.host_ipc == Some(true) && ipc {
                say::invalid_str(
                    sink,
                    RULE,
                    name_at(),
                    &s.name,
                    "sysctl not allowed with host ipc enabled",
                );
            }
        }
        if let Some(p) = &sc.seccomp_profile {
            seccomp(p, &here.key("seccompProfile"), sink);
        }
        if let Some(p) = &sc.app_armor_profile {
            apparmor(p, &here.key("appArmorProfile"), sink);
        }
    }
    for (list, containers) in super::containers_of(spec) {
        for (i, c) in containers.iter().enumerate() {
            if let Some(sc) = &c.security_context {
                container(sc, &at.key(list).idx(i).key("securityContext"), spec, sink);
            }
        }
    }
}

fn container(sc: &SecurityContext, at: &Path, spec: &PodSpec, sink: &mut Sink) {
    id(sink, || at.key("runAsUser"), sc.run_as_user);
    id(sink, || at.key("runAsGroup"), sc.run_as_group);
    if sc.allow_privilege_escalation == Some(false) {
        if sc.privileged == Some(true) {
            say::invalid(
                sink,
                RULE,
                at.key("allowPrivilegeEscalation"),
                "false",
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            );
        }
        let adds = sc.capabilities.as_ref().and_then(|c| c.add.as_ref());
        if adds
            .into_iter()
            .flatten()
            .any(|c| c == "SYS_ADMIN" || c == "CAP_SYS_ADMIN")
        {
            say::invalid(
                sink,
                RULE,
                at.key("allowPrivilegeEscalation"),
                "false",
                "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
            );
        }
    }
    let proc_mount = sc.proc_mount.as_deref();
    say::one_of(
        sink,
        RULE,
        || at.key("procMount"),
        proc_mount,
        &["Default", "Unmasked"],
    );
    if proc_mount == Some("Unmasked") && spec.host_users != Some(false) {
        say::forbidden(
            sink,
            RULE,
            at.key("procMount"),
            "`hostUsers` must be false to use `Unmasked`",
        );
    }
    if let Some(p) = &sc.seccomp_profile {
        seccomp(p, &at.key("seccompProfile"), sink);
    }
    if let Some(p) = &sc.app_armor_profile {
        apparmor(p, &at.key("appArmorProfile"), sink);
    }
}

/// `validateSeccompProfileField`.
fn seccomp(p: &SeccompProfile, at: &Path, sink: &mut Sink) {
    let profile = p.localhost_profile.as_deref();
    match p.type_.as_str() {
        "Localhost" => match profile {
            None | Some("") => say::required(
                sink,
                RULE,
                at.key("localhostProfile"),
                "must be set when seccomp type is Localhost",
            ),
            Some(path) => say::grammar(
                sink,
                RULE,
                || at.key("localhostProfile"),
                path,
                grammar::descending_path,
            ),
        },
        "RuntimeDefault" | "Unconfined" => {
            if let Some(path) = profile {
                say::invalid_str(
                    sink,
                    RULE,
                    at.key("localhostProfile"),
                    path,
                    "can only be set when seccomp type is Localhost",
                );
            }
        }
        other => say::unsupported(
            sink,
            RULE,
            at.key("type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        ),
    }
}

/// `ValidateAppArmorProfileField`.
fn apparmor(p: &AppArmorProfile, at: &Path, sink: &mut Sink) {
    let profile = p.localhost_profile.as_deref();
    match p.type_.as_str() {
        "Localhost" => match profile {
            Some(path) if !path.trim().is_empty() => {
                if path.len() > MAX_APPARMOR_PROFILE {
                    sink.error(
                        RULE,
                        at.key("localhostProfile"),
                        format!("too long: may not be more than {MAX_APPARMOR_PROFILE} bytes"),
                    );
                }
            }
            _ => say::required(
                sink,
                RULE,
                at.key("localhostProfile"),
                "must be set when AppArmor type is Localhost",
            ),
        },
        "RuntimeDefault" | "Unconfined" => {
            if profile.is_some() {
                say::forbidden(
                    sink,
                    RULE,
                    at.key("localhostProfile"),
                    "can only be set when AppArmor type is Localhost",
                );
            }
        }
        other => say::unsupported(
            sink,
            RULE,
            at.key("type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        ),
    }
}

/// The legacy AppArmor and seccomp annotations of a pod (or template) at `meta`:
/// `ValidateAppArmorPodAnnotations` and `ValidateSeccompPodAnnotations`.
pub(super) fn annotations(
    annotations: Option<&BTreeMap<String, String>>,
    spec: &PodSpec,
    meta: &Path,
    sink: &mut Sink,
) {
    let names: HashSet<&str> = super::containers_of(spec)
        .iter()
        .flat_map(|(_, cs)| cs.iter().map(|c| c.name.as_str()))
        .collect();
    for (key, value) in annotations.into_iter().flatten() {
        let here = || meta.key("annotations").key_owned(key);
        if let Some(container) = key.strip_prefix(APPARMOR_PREFIX) {
            if !names.contains(container) {
                say::invalid_str(sink, RULE, here(), container, "container not found");
            }
            let ok = value == "runtime/default"
                || value == "unconfined"
                || value
                    .strip_prefix("localhost/")
                    .is_some_and(|p| !p.is_empty());
            if !ok {
                say::invalid_str(sink, RULE, here(), value, "invalid AppArmor profile name");
            }
        } else if key == SECCOMP_POD || key.starts_with(SECCOMP_PREFIX) {
            let ok = ["runtime/default", "docker/default", "unconfined"].contains(&value.as_str())
                || value
                    .strip_prefix("localhost/")
                    .is_some_and(|p| grammar::descending_path(p).is_none() && !p.is_empty());
            if !ok {
                say::invalid_str(sink, RULE, here(), value, "must be a valid seccomp profile");
            }
        }
    }
}
