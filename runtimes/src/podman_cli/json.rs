//! Podman's JSON as a peer's input: `podman events --format json` lines and
//! `podman ps -a --format json`. Unknown fields are ignored and missing ones default, so a
//! Podman upgrade degrades to "unknown state" rather than a panic.

use std::collections::HashMap;

use serde::Deserialize;

/// The label that ties a container of the `podman` runtime to its instance.
pub const INSTANCE_LABEL: &str = "anchorage.instance";

/// Whether an event is about a container or a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A container event.
    Container,
    /// A pod event.
    Pod,
    /// Anything else (images, volumes): ignored.
    Other,
}

/// One line of `podman events --format json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodmanEvent {
    /// Container or pod ID.
    pub id: String,
    /// Container or pod name.
    pub name: String,
    /// `create`, `start`, `died`, `remove`, …
    pub status: String,
    /// What the event is about.
    pub kind: EventKind,
    /// The pod of a container, when Podman says (not on every event).
    pub pod_id: Option<String>,
    /// The exit code on `died`.
    pub exit_code: Option<i32>,
    /// The container's labels.
    pub labels: HashMap<String, String>,
    /// Podman's timestamp, reused as `--since` when the stream restarts.
    pub time: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawEvent {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(rename = "Type", default)]
    kind: String,
    #[serde(rename = "PodID", default)]
    pod_id: Option<String>,
    #[serde(default)]
    container_exit_code: Option<i32>,
    #[serde(default)]
    attributes: Option<HashMap<String, String>>,
    #[serde(default)]
    time: String,
}

/// Parses one event line; `None` for lines that are not an event (warnings on stderr).
pub fn parse_event(line: &str) -> Option<PodmanEvent> {
    let raw: RawEvent = serde_json::from_str(line).ok()?;
    let kind = match raw.kind.as_str() {
        "container" => EventKind::Container,
        "pod" => EventKind::Pod,
        _ => EventKind::Other,
    };
    Some(PodmanEvent {
        id: raw.id,
        name: raw.name,
        status: raw.status,
        kind,
        pod_id: raw.pod_id.filter(|p| !p.is_empty()),
        exit_code: raw.container_exit_code,
        labels: raw.attributes.unwrap_or_default(),
        time: raw.time,
    })
}

/// One container of `podman ps -a --format json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PsContainer {
    /// Full container ID.
    pub id: String,
    /// Its names (one in practice).
    pub names: Vec<String>,
    /// `created`, `running`, `exited`, …
    pub state: String,
    /// The exit code, meaningful when exited.
    pub exit_code: i32,
    /// Its labels (`null` for none).
    pub labels: Option<HashMap<String, String>>,
    /// Its pod's ID, empty when none.
    pub pod: String,
    /// Whether it is a pod's infra container.
    pub is_infra: bool,
}

impl PsContainer {
    /// The first name, or the ID.
    pub fn name(&self) -> &str {
        self.names.first().map_or(&self.id, String::as_str)
    }
}

/// Parses `podman ps -a --format json`.
pub fn parse_ps(json: &str) -> Result<Vec<PsContainer>, serde_json::Error> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str::<Option<Vec<PsContainer>>>(json).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_died_event_with_exit_code_and_labels() {
        let line = r#"{"ContainerExitCode":3,"ID":"f2e6","Image":"localhost/busybox:latest","Name":"t1","Status":"died","Time":"2026-11-29T07:28:05.68Z","Type":"container","Attributes":{"anchorage.instance":"foo"}}"#;
        let ev = parse_event(line).expect("event");
        assert_eq!(ev.status, "died");
        assert_eq!(ev.exit_code, Some(3));
        assert_eq!(ev.kind, EventKind::Container);
        assert_eq!(ev.labels[INSTANCE_LABEL], "foo");
        assert_eq!(ev.pod_id, None);
    }

    #[test]
    fn parses_a_pod_event_with_null_attributes_and_ignores_junk() {
        let ev = parse_event(
            r#"{"ID":"p1","Name":"testpod","Status":"remove","Type":"pod","Attributes":null}"#,
        )
        .expect("event");
        assert_eq!(ev.kind, EventKind::Pod);
        assert!(ev.labels.is_empty());
        assert_eq!(parse_event("time=x level=warning msg=y"), None);
    }

    #[test]
    fn parses_ps_output() {
        let json = r#"[{"Id":"511b","Names":["3af7-infra"],"State":"running","ExitCode":0,"IsInfra":true,"Labels":null,"Pod":"3af7","Extra":1},
                       {"Id":"52a6","Names":["testpod-c1"],"State":"exited","ExitCode":1,"Labels":{"a":"b"},"Pod":""}]"#;
        let ps = parse_ps(json).expect("parses");
        assert_eq!(ps.len(), 2);
        assert!(ps[0].is_infra);
        assert_eq!(ps[1].name(), "testpod-c1");
        assert_eq!(ps[1].exit_code, 1);
        assert!(parse_ps("").expect("empty").is_empty());
        assert!(parse_ps("null").expect("null").is_empty());
    }
}
