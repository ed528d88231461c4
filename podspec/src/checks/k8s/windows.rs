//! `validateWindowsSecurityContextOptions` and `validateWindowsHostProcessPod`: the Windows
//! options of pod and container security contexts, and that HostProcess is all or nothing and
//! needs the host network.

use k8s_openapi::api::core::v1::{PodSpec, WindowsSecurityContextOptions};

use super::{grammar, say};
use crate::finding::{Path, Sink};
use crate::rules::K8S_SECURITY as RULE;

/// `maxGMSACredentialSpecLength`, `maxRunAsUserNameUserLength` and its whole.
const MAX_GMSA_SPEC: usize = 64 * 1024;
const MAX_USER_NAME: usize = 256;
const MAX_USER_PART: usize = 20;

/// Checks every Windows options block of `spec` at `at`, and HostProcess consistency.
pub(super) fn check(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    let pod = spec
        .security_context
        .as_ref()
        .and_then(|s| s.windows_options.as_ref());
    if let Some(w) = pod {
        options(w, &at.key("securityContext").key("windowsOptions"), sink);
    }
    let pod_host_process = pod.and_then(|w| w.host_process);
    let mut any = pod_host_process == Some(true);
    let mut each = Vec::new();
    for (list, containers) in super::containers_of(spec) {
        for (i, c) in containers.iter().enumerate() {
            let w = c
                .security_context
                .as_ref()
                .and_then(|s| s.windows_options.as_ref());
            let here = at
                .key(list)
                .idx(i)
                .key("securityContext")
                .key("windowsOptions");
            if let Some(w) = w {
                options(w, &here, sink);
            }
            let host_process = w.and_then(|w| w.host_process).or(pod_host_process) == Some(true);
            any |= host_process;
            each.push((host_process, here));
        }
    }
    if !any {
        return;
    }
    if spec.host_network != Some(true) {
        say::invalid(
            sink,
            RULE,
            at.key("hostNetwork"),
            spec.host_network.unwrap_or(false),
            "hostNetwork must be true if pod contains any hostProcess containers",
        );
    }
    for (host_process, here) in each {
        if !host_process {
            say::invalid(
                sink,
                RULE,
                here.key("hostProcess"),
                "false",
                "If pod contains any hostProcess containers then all containers must be HostProcess containers",
            );
        }
    }
}

fn options(w: &WindowsSecurityContextOptions, at: &Path, sink: &mut Sink) {
    if let Some(name) = w.gmsa_credential_spec_name.as_deref() {
        say::grammar(
            sink,
            RULE,
            || at.key("gmsaCredentialSpecName"),
            name,
            grammar::subdomain,
        );
    }
    if let Some(spec) = w.gmsa_credential_spec.as_deref() {
        if spec.is_empty() {
            say::invalid(
                sink,
                RULE,
                at.key("gmsaCredentialSpec"),
                "\"\"",
                "gmsaCredentialSpec cannot be an empty string",
            );
        } else if spec.len() > MAX_GMSA_SPEC {
            say::invalid(
                sink,
                RULE,
                at.key("gmsaCredentialSpec"),
                "\"…\"",
                "gmsaCredentialSpec size must be under 64 KiB",
            );
        }
    }
    let Some(user) = w.run_as_user_name.as_deref() else {
        return;
    };
    let here = || at.key("runAsUserName");
    let problem = if user.is_empty() {
        Some("runAsUserName cannot be an empty string")
    } else if user.chars().any(char::is_control) {
        Some("runAsUserName cannot contain control characters")
    } else if user.len() > MAX_USER_NAME {
        Some("runAsUserName's length must not exceed 256 characters")
    } else if user.matches('\\').count() > 1 {
        Some("runAsUserName may contain at most one '\\'")
    } else if user.rsplit('\\').next().unwrap_or_default().chars().count() > MAX_USER_PART {
        Some("runAsUserName's user name must not be longer than 20 characters")
    } else {
        None
    };
    if let Some(detail) = problem {
        say::invalid_str(sink, RULE, here(), user, detail);
    }
}
