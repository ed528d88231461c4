//! A `runtimeClassName: native` pod as one `native` workload per container (`<pod>-<container>`).
//! Env values from ConfigMaps and Secrets become Handlebars templates over config aliases, so
//! the server renders them when it accepts the state. A mounted persistentVolumeClaim becomes
//! the claim's folder, named in `$ANKAIOS_VOLUME_<VOLUME NAME>` (see [`volume_env`]).

use std::collections::BTreeMap;

use ank_model::runtime_config::{NativeConfig, NATIVE};
use ank_model::state::trim_runtime_config;
use ank_model::Workload;
use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::ProvidedMap;
use crate::checks::refs::Target;
use crate::checks::to_ankaios;

/// Adds the workloads of native pod `name` to `out`.
pub(super) fn workloads(
    name: &str,
    meta: &ObjectMeta,
    spec: &PodSpec,
    provided: &ProvidedMap,
    out: &mut BTreeMap<String, Workload>,
) {
    for c in &spec.containers {
        let mut workload = super::pod::base(meta, spec);
        let mut env = BTreeMap::new();
        for e in c.env.iter().flatten() {
            let reference = e.value_from.as_ref().and_then(|from| {
                let cm = from
                    .config_map_key_ref
                    .as_ref()
                    .map(|r| (Target::ConfigMap, &r.name, &r.key));
                let secret = from
                    .secret_key_ref
                    .as_ref()
                    .map(|r| (Target::Secret, &r.name, &r.key));
                cm.or(secret)
            });
            let value = match reference {
                None => e.value.clone().unwrap_or_default(),
                Some((target, cm_name, key)) => match provided.get(&(target, cm_name.clone())) {
                    Some(p) => {
                        workload.configs.insert(p.key.clone(), p.key.clone());
                        template(&p.key, key)
                    }
                    // An optional reference to an absent object leaves the variable unset.
                    None => continue,
                },
            };
            env.insert(e.name.clone(), value);
        }
        let mut volumes = BTreeMap::new();
        for mount in c.volume_mounts.iter().flatten() {
            let claim = spec
                .volumes
                .iter()
                .flatten()
                .find(|v| v.name == mount.name)
                .and_then(|v| v.persistent_volume_claim.as_ref());
            if let Some(claim) = claim {
                volumes.insert(volume_env(&mount.name), claim.claim_name.clone());
            }
        }
        let config = NativeConfig {
            command: c.command.clone().unwrap_or_default(),
            args: c.args.clone().unwrap_or_default(),
            env,
            working_dir: c.working_dir.clone(),
            volumes,
        };
        workload.runtime = NATIVE.to_owned();
        workload.runtime_config =
            trim_runtime_config(serde_yaml_ng::to_string(&config).unwrap_or_default());
        out.insert(format!("{}-{}", to_ankaios(name), c.name), workload);
    }
}

/// The variable naming a claimed volume's folder for a native process: `ANKAIOS_VOLUME_` and
/// the volume's name (a DNS-1123 label) upper-cased with `-` as `_`.
pub(crate) fn volume_env(volume: &str) -> String {
    format!(
        "ANKAIOS_VOLUME_{}",
        volume.to_ascii_uppercase().replace('-', "_")
    )
}

/// `{{alias.key}}`, or `{{alias.[key]}}` when the key is not a plain Handlebars identifier.
fn template(alias: &str, key: &str) -> String {
    if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !key.is_empty() {
        format!("{{{{{alias}.{key}}}}}")
    } else {
        format!("{{{{{alias}.[{key}]}}}}")
    }
}
