//! The two bookkeeping volumes of a `podman-kube` instance, in Ankaios' exact format, so that
//! an agent finds (and tears down) instances it or Ankaios played in an earlier life, even
//! without its run folder:
//!
//! - `<instance>.config`: the rendered runtimeConfig the agent was given;
//! - `<instance>.pods`: a JSON list of the pod IDs `podman kube play` created.
//!
//! Each volume holds its data in the one label `data=<base64, standard alphabet, no padding>`.
//! This module is pure: the argv to create a volume, and reading `podman volume ls --format json`
//! into what each instance of an agent left behind. A label that does not decode is an error
//! naming its volume, kept per instance so one corrupt volume does not hide the others.

use std::collections::{BTreeMap, HashMap};

use ank_model::WorkloadInstanceName;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::Deserialize;

use crate::podman_cli::{argv, instance_of};

/// The label that holds a bookkeeping volume's data.
pub const DATA_LABEL: &str = "data";
/// The suffix of the volume that holds the instance's runtimeConfig.
pub const CONFIG_VOLUME_SUFFIX: &str = ".config";
/// The suffix of the volume that lists the instance's pod IDs.
pub const PODS_VOLUME_SUFFIX: &str = ".pods";

/// Ankaios writes without padding; a padded label (written by hand) is read as well.
const DECODER: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a bookkeeping volume cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// The volume has no `data` label.
    #[error("volume '{volume}' has no '{DATA_LABEL}' label")]
    MissingLabel {
        /// The volume's name.
        volume: String,
    },
    /// The label is not base64 (standard alphabet).
    #[error("volume '{volume}': label '{DATA_LABEL}' is not base64: {source}")]
    Base64 {
        /// The volume's name.
        volume: String,
        /// What the decoder said.
        #[source]
        source: base64::DecodeError,
    },
    /// The decoded label is not UTF-8 text.
    #[error("volume '{volume}': label '{DATA_LABEL}' does not decode to UTF-8 text")]
    Utf8 {
        /// The volume's name.
        volume: String,
    },
    /// The `.pods` volume's data is not a JSON list of strings.
    #[error("volume '{volume}': label '{DATA_LABEL}' is not a JSON list of pod IDs: {source}")]
    Json {
        /// The volume's name.
        volume: String,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
    /// `podman volume ls --format json` printed something else than a list of volumes.
    #[error("podman volume ls output: {0}")]
    List(#[source] serde_json::Error),
}

/// The `.config` volume's name of `instance`.
pub fn config_volume(instance: &WorkloadInstanceName) -> String {
    format!("{instance}{CONFIG_VOLUME_SUFFIX}")
}

/// The `.pods` volume's name of `instance`.
pub fn pods_volume(instance: &WorkloadInstanceName) -> String {
    format!("{instance}{PODS_VOLUME_SUFFIX}")
}

/// `data` encoded as a label value: base64, standard alphabet, no padding.
pub fn encode(data: &str) -> String {
    STANDARD_NO_PAD.encode(data)
}

/// The text a `data` label of `volume` holds.
pub fn decode(volume: &str, label: &str) -> Result<String, VolumeError> {
    let bytes = DECODER
        .decode(label.trim())
        .map_err(|source| VolumeError::Base64 {
            volume: volume.to_owned(),
            source,
        })?;
    String::from_utf8(bytes).map_err(|_| VolumeError::Utf8 {
        volume: volume.to_owned(),
    })
}

/// The `.pods` label value of a pod list: base64 of its JSON.
pub fn encode_pods(pods: &[String]) -> String {
    // Serializing a list of strings cannot fail.
    encode(&serde_json::to_string(pods).unwrap_or_else(|_| "[]".to_owned()))
}

/// The pod IDs a `.pods` label of `volume` holds.
pub fn decode_pods(volume: &str, label: &str) -> Result<Vec<String>, VolumeError> {
    serde_json::from_str(&decode(volume, label)?).map_err(|source| VolumeError::Json {
        volume: volume.to_owned(),
        source,
    })
}

/// `volume create --label data=<encoded> <volume>` (without general options: volumes are
/// listed without them too).
pub fn create_args(volume: &str, encoded: &str) -> Vec<String> {
    let label = format!("{DATA_LABEL}={encoded}");
    argv(["volume", "create", "--label", &label, volume])
}

/// What the volumes of one instance hold; `None` where the volume does not exist.
#[derive(Debug, Default)]
pub struct Bookkeeping {
    /// The `.config` volume's runtimeConfig.
    pub config: Option<Result<String, VolumeError>>,
    /// The `.pods` volume's pod IDs.
    pub pods: Option<Result<Vec<String>, VolumeError>>,
}

impl Bookkeeping {
    /// The runtimeConfig, when the `.config` volume exists and decodes.
    pub fn config(&self) -> Option<&str> {
        self.config.as_ref()?.as_ref().ok().map(String::as_str)
    }

    /// The pod IDs, when the `.pods` volume exists and decodes.
    pub fn pods(&self) -> Option<&[String]> {
        self.pods.as_ref()?.as_ref().ok().map(Vec::as_slice)
    }

    /// The errors of the volumes that exist but do not decode.
    pub fn errors(&self) -> impl Iterator<Item = &VolumeError> {
        let config = self.config.as_ref().and_then(|r| r.as_ref().err());
        let pods = self.pods.as_ref().and_then(|r| r.as_ref().err());
        config.into_iter().chain(pods)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Volume {
    #[serde(default)]
    name: String,
    #[serde(default)]
    labels: Option<HashMap<String, String>>,
}

/// The bookkeeping of each instance of `agent` in `podman volume ls --format json`: volumes
/// named `<instance>.config` or `<instance>.pods` whose `<instance>` is an instance name of
/// `agent`. Only an unreadable listing is an error; an unreadable label is kept in the result.
pub fn read_volumes(
    json: &str,
    agent: &str,
) -> Result<BTreeMap<WorkloadInstanceName, Bookkeeping>, VolumeError> {
    let mut found: BTreeMap<WorkloadInstanceName, Bookkeeping> = BTreeMap::new();
    if json.trim().is_empty() {
        return Ok(found);
    }
    let volumes: Option<Vec<Volume>> = serde_json::from_str(json).map_err(VolumeError::List)?;
    for volume in volumes.unwrap_or_default() {
        let (instance, is_config) = match (
            volume.name.strip_suffix(CONFIG_VOLUME_SUFFIX),
            volume.name.strip_suffix(PODS_VOLUME_SUFFIX),
        ) {
            (Some(instance), _) => (instance, true),
            (None, Some(instance)) => (instance, false),
            (None, None) => continue,
        };
        let Some(instance) = instance_of(instance, agent) else {
            continue;
        };
        let label = volume
            .labels
            .as_ref()
            .and_then(|labels| labels.get(DATA_LABEL))
            .ok_or_else(|| VolumeError::MissingLabel {
                volume: volume.name.clone(),
            });
        let entry = found.entry(instance).or_default();
        if is_config {
            entry.config = Some(label.and_then(|l| decode(&volume.name, l)));
        } else {
            entry.pods = Some(label.and_then(|l| decode_pods(&volume.name, l)));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn name(workload: &str, agent: &str) -> String {
        format!("{workload}.{ID}.{agent}")
    }

    #[test]
    fn labels_are_base64_without_padding() {
        assert_eq!(encode("a"), "YQ");
        assert_eq!(
            encode_pods(&["p1".into(), "p2".into()]),
            encode(r#"["p1","p2"]"#)
        );
        assert_eq!(decode("v", "YQ").expect("decodes"), "a");
        assert_eq!(decode("v", "YQ==").expect("padded too"), "a");
        assert_eq!(
            create_args("w.pods", "YQ").join(" "),
            "volume create --label data=YQ w.pods"
        );
    }

    #[test]
    fn corrupt_labels_are_errors_naming_the_volume() {
        let not_base64 = decode("w.x.a.config", "!!not base64!!").expect_err("bad base64");
        assert!(matches!(not_base64, VolumeError::Base64 { .. }));
        let not_text =
            decode("w.x.a.config", &STANDARD_NO_PAD.encode([0xff, 0xfe])).expect_err("not UTF-8");
        assert!(matches!(not_text, VolumeError::Utf8 { .. }));
        let not_json = decode_pods("w.x.a.pods", &encode("[\"unterminated")).expect_err("json");
        assert!(matches!(not_json, VolumeError::Json { .. }));
        let not_list = decode_pods("w.x.a.pods", &encode("{\"a\":1}")).expect_err("json");
        for e in [not_base64, not_text] {
            assert!(e.to_string().contains("'w.x.a.config'"), "{e}");
        }
        for e in [not_json, not_list] {
            assert!(e.to_string().contains("'w.x.a.pods'"), "{e}");
        }
    }

    #[test]
    fn reads_this_agents_volumes_and_keeps_corrupt_ones_as_errors() {
        let json = format!(
            r#"[{{"Name":"{w}.pods","Labels":{{"data":"{pods}"}}}},
                {{"Name":"{w}.config","Labels":{{"data":"{config}"}}}},
                {{"Name":"{only_config}.config","Labels":{{"data":"{config}"}}}},
                {{"Name":"{bad}.pods","Labels":{{"data":"%%%"}}}},
                {{"Name":"{bad}.config","Labels":null}},
                {{"Name":"{other}.pods","Labels":{{"data":"{pods}"}}}},
                {{"Name":"w.abc.agent_A.pods","Labels":{{"data":"{pods}"}}}},
                {{"Name":"userdata","Labels":{{}}}}]"#,
            w = name("w", "agent_A"),
            only_config = name("c", "agent_A"),
            bad = name("bad", "agent_A"),
            other = name("w", "agent_B"),
            pods = encode(r#"["p1","p2"]"#),
            config = encode("manifest: x"),
        );
        let found = read_volumes(&json, "agent_A").expect("parses");
        let names: Vec<String> = found.keys().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                name("bad", "agent_A"),
                name("c", "agent_A"),
                name("w", "agent_A")
            ]
        );
        let get = |w: &str| &found[&instance_of(&name(w, "agent_A"), "agent_A").expect("name")];
        assert_eq!(
            get("w").pods(),
            Some(&["p1".to_owned(), "p2".to_owned()][..])
        );
        assert_eq!(get("w").config(), Some("manifest: x"));
        assert_eq!(get("c").pods(), None);
        assert!(get("c").pods.is_none());
        let errors: Vec<String> = get("bad").errors().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains(&format!(
                "'{}.config' has no 'data' label",
                name("bad", "agent_A")
            )),
            "{errors:?}"
        );
        assert!(
            errors[1].contains(&format!("'{}.pods'", name("bad", "agent_A"))),
            "{errors:?}"
        );
        assert!(read_volumes("[]", "agent_A").expect("empty").is_empty());
        assert!(read_volumes("", "agent_A").expect("empty").is_empty());
        assert!(matches!(
            read_volumes("{", "agent_A"),
            Err(VolumeError::List(_))
        ));
    }

    /// Text that stresses a label: quotes, brackets, commas, `=`, newlines, non-ASCII, and
    /// runtimeConfigs of up to 10 000 characters.
    fn hostile() -> impl Strategy<Value = String> {
        const CHARS: &str = "[\"'\\[\\]{},=\n\r\t \\\\a-zäöü€😀-]";
        let regex = |len: &str| {
            proptest::string::string_regex(&format!("{CHARS}{len}"))
                .expect("a valid regex")
                .boxed()
        };
        prop_oneof![
            any::<String>().boxed(),
            regex("{0,200}"),
            regex("{9000,10000}")
        ]
    }

    proptest! {
        #[test]
        fn config_roundtrips(text in hostile()) {
            let label = encode(&text);
            prop_assert!(!label.contains('='));
            prop_assert_eq!(decode("v", &label).expect("decodes"), text);
        }

        #[test]
        fn pods_roundtrip(pods in proptest::collection::vec(hostile(), 0..8)) {
            let label = encode_pods(&pods);
            prop_assert_eq!(decode_pods("v", &label).expect("decodes"), pods);
        }

        #[test]
        fn garbage_labels_never_panic(label in any::<String>()) {
            let _ = decode("v", &label);
            let _ = decode_pods("v", &label);
        }
    }

    #[test]
    fn a_long_config_roundtrips() {
        let text: String = "é\"[]\n".repeat(2_000);
        assert_eq!(text.chars().count(), 10_000);
        assert_eq!(decode("v", &encode(&text)).expect("decodes"), text);
        let pods = vec![text.clone(), text];
        assert_eq!(
            decode_pods("v", &encode_pods(&pods)).expect("decodes"),
            pods
        );
    }
}
