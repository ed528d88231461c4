//! Unit tests of the wait: goals, the tables of each step (golden, from the samples), events.

use ank_model::exec_state::{ExecState, Failed, Pending, Stopping};
use ank_model::WorkloadInstanceName;

use super::goal::expectations;
use super::*;
use crate::client::UpdateOutcome;
use crate::table::tests::lines;
use crate::table::WorkloadRow;

fn row(name: &str, id: &str, state: Option<ExecState>) -> WorkloadRow {
    WorkloadRow {
        name: name.into(),
        agent: "agent_A".into(),
        runtime: "native".into(),
        state,
        instance_id: id.into(),
        ..WorkloadRow::default()
    }
}

/// The rows with agent_A connected.
fn snap(rows: &[WorkloadRow]) -> Snapshot {
    Snapshot {
        rows: rows.to_vec(),
        connected: ["agent_A".to_owned()].into(),
        ..Snapshot::default()
    }
}

fn expect(goal: Goal, instance: Option<&str>) -> Expectation {
    Expectation {
        workload: "w".into(),
        instance: instance.map(|id| WorkloadInstanceName {
            workload_name: "w".into(),
            agent_name: "agent_A".into(),
            id: id.into(),
        }),
        goal,
    }
}

#[test]
fn settled_needs_a_target_state() {
    let e = expect(Goal::Settled, None);
    assert!(!e.holds(&snap(&[])));
    assert!(!e.holds(&snap(&[row(
        "w",
        "1",
        Some(ExecState::Pending(Pending::Starting))
    )])));
    assert!(e.holds(&snap(&[row("w", "1", Some(ExecState::Running))])));
    assert!(e.holds(&snap(&[row(
        "w",
        "1",
        Some(ExecState::Failed(Failed::ExecFailed))
    )])));
    assert!(e.holds(&snap(&[row("w", "", Some(ExecState::NotScheduled))])));
    assert!(!e.holds(&snap(&[row(
        "w",
        "1",
        Some(ExecState::Pending(Pending::Initial))
    )])));
    let mut unplaced = row("w", "1", Some(ExecState::Pending(Pending::Initial)));
    unplaced.additional_info = "no connected agent matches nodeSelector zone=back".into();
    assert!(e.holds(&snap(&[unplaced])));
}

#[test]
fn initial_on_an_agent_not_connected_is_settled() {
    let e = expect(Goal::Settled, None);
    let mut away = row("w", "1", Some(ExecState::Pending(Pending::Initial)));
    away.agent = "agent_Z".into();
    let with = |connected: &[&str]| Snapshot {
        rows: vec![away.clone()],
        connected: connected.iter().map(|a| (*a).to_owned()).collect(),
        ..Snapshot::default()
    };
    assert!(e.holds(&with(&["agent_A"])));
    assert!(e.holds(&with(&[])));
    assert!(!e.holds(&with(&["agent_A", "agent_Z"])));
}

#[test]
fn an_instance_goal_ignores_other_instances() {
    let rows = snap(&[
        row("w", "old", Some(ExecState::Running)),
        row("w", "new", Some(ExecState::Pending(Pending::Initial))),
    ]);
    assert!(!expect(Goal::Settled, Some("new")).holds(&rows));
    assert!(!expect(Goal::Gone, Some("old")).holds(&rows));
    assert!(expect(Goal::Gone, Some("other")).holds(&rows));
}

#[test]
fn exact_state_goal() {
    let e = expect(Goal::State(ExecState::Running), None);
    assert!(e.holds(&snap(&[row("w", "1", Some(ExecState::Running))])));
    assert!(!e.holds(&snap(&[row("w", "1", Some(ExecState::Succeeded))])));
}

/// `ank apply m2.yaml` with stdout not a terminal (ankaios-samples.md), after [`APPLIED`].
const SAMPLE_APPLY: &[&str] = &[
    "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE    ADDITIONAL INFO",
    "job2            agent_S   unknown-runtime   | Pending(Initial)                  ",
    "",
    "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE     ADDITIONAL INFO      ",
    "job2            agent_S   unknown-runtime   | Pending(Starting)   Triggered at runtime.",
    "",
    "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE           ADDITIONAL INFO    ",
    "job2            agent_S   unknown-runtime     Pending(StartingFailed)   Unsupported Runtime",
    "",
];

/// `ank delete workload job2` with stdout not a terminal, after [`APPLIED`].
const SAMPLE_DELETE: &[&str] = &[
    "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE                ADDITIONAL INFO",
    "job2            agent_S             | Stopping(RequestedAtRuntime)                  ",
    "",
    "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE   ADDITIONAL INFO",
    "job2            agent_S               Removed                          ",
    "",
];

const JOB2_ID: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// m2.yaml's job2 on agent_S (connected) in `state(sub)` with `info`; `desired` says
/// whether it is still in the desired state, `state` None leaves it without a state.
fn job2(desired: bool, state: Option<(&str, &str, &str)>) -> CompleteState {
    let workloads = if desired {
        r#"{"job2": {"agent": "agent_S", "restartPolicy": "NEVER", "runtime": "unknown-runtime", "runtimeConfig": ""}}"#
    } else {
        "{}"
    };
    let states = match state {
        Some((state, sub, info)) => format!(
            r#"{{"agent_S": {{"job2": {{"{JOB2_ID}": {{"additionalInfo": "{info}", "state": "{state}", "subState": "{sub}"}}}}}}}}"#
        ),
        None => "{}".to_owned(),
    };
    let json = format!(
        r#"{{"desiredState": {{"apiVersion": "v1", "workloads": {workloads}}},
            "workloadStates": {states},
            "agents": {{"agent_S": {{"status": {{"cpuUsage": 3, "freeMemory": 24680841216}}}}}}}}"#
    );
    serde_json::from_str(&json).expect("the test state parses")
}

/// `state` with job2's instance `id` on agent_S in `exec`.
fn with_job2(mut state: CompleteState, id: &str, exec: ExecState) -> CompleteState {
    state
        .workload_states
        .entry("agent_S".into())
        .or_default()
        .entry("job2".into())
        .or_default()
        .insert(id.into(), ank_model::ExecutionState::new(exec));
    state
}

fn job2_instance() -> WorkloadInstanceName {
    WorkloadInstanceName {
        workload_name: "job2".into(),
        agent_name: "agent_S".into(),
        id: JOB2_ID.into(),
    }
}

/// The wait `ank` sets up after the server's answer for job2: `added` and `deleted`
/// instances, the workload itself deleted (`ank delete`) or applied.
fn job2_progress(
    added: &[WorkloadInstanceName],
    deleted: &[WorkloadInstanceName],
    delete: bool,
) -> Progress {
    let outcome = UpdateOutcome {
        added: added.to_vec(),
        deleted: deleted.to_vec(),
    };
    Progress::after_update(vec!["job2".to_owned()], &outcome, delete)
}

#[test]
fn the_announcement_matches_the_sample() {
    let expected = lines(&[
        "Successfully applied the manifest(s).",
        "Waiting for workload(s) to reach desired states (press Ctrl+C to interrupt).",
        "",
    ]);
    assert_eq!(APPLIED, expected);
    assert_eq!(APPLIED_ONLY, "Successfully applied the manifest(s).\n");
}

/// What `ank apply`/`delete` print after [`APPLIED`] with stdout not a terminal, for this
/// sequence of states, and whether the wait ended with the last one (and not before).
fn transcript(mut progress: Progress, states: &[CompleteState]) -> (String, bool) {
    let mut text = String::new();
    let mut versions = Versions::default();
    let mut done_early = false;
    let mut done = false;
    for (i, state) in states.iter().enumerate() {
        let view = progress.observe(&Snapshot::of(state));
        text.extend(versions.next(&view));
        done_early |= view.done && i + 1 < states.len();
        done = view.done;
    }
    (text, done && !done_early)
}

/// Asserts that the states make `progress` print `sample` and end the wait with the last.
fn assert_prints(progress: Progress, states: &[CompleteState], sample: &[&str]) {
    let (text, done_at_the_end) = transcript(progress, states);
    assert_eq!(text, lines(sample));
    assert!(
        done_at_the_end,
        "the wait ends with the last state, not before"
    );
}

#[test]
fn apply_output_matches_the_sample() {
    let progress = job2_progress(&[job2_instance()], &[], false);
    let starting = job2(true, Some(("Pending", "Starting", "Triggered at runtime.")));
    let mut busy_agent = starting.clone();
    if let Some(a) = busy_agent.agents.get_mut("agent_S") {
        a.status.cpu_usage = 2;
    }
    let states = [
        // Before the update: not shown.
        job2(false, None),
        job2(true, Some(("Pending", "Initial", ""))),
        starting,
        busy_agent,
        job2(
            true,
            Some(("Pending", "StartingFailed", "Unsupported Runtime")),
        ),
    ];
    assert_prints(progress, &states, SAMPLE_APPLY);
}

#[test]
fn delete_output_matches_the_sample() {
    let progress = job2_progress(&[], &[job2_instance()], true);
    let failed = Some(("Pending", "StartingFailed", "Unsupported Runtime"));
    let states = [
        // Before the update, and the update without the agent's answer: not shown.
        job2(true, failed),
        job2(false, failed),
        job2(false, Some(("Stopping", "RequestedAtRuntime", ""))),
        job2(false, None),
    ];
    assert_prints(progress, &states, SAMPLE_DELETE);
}

#[test]
fn a_deleted_instance_gone_before_the_first_read_shows_removed() {
    let mut progress = job2_progress(&[], &[job2_instance()], true);
    let view = progress.observe(&Snapshot::of(&job2(false, None)));
    assert!(view.done);
    let expected = lines(&[
        "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE   ADDITIONAL INFO",
        "job2            agent_S               Removed                          ",
    ]);
    assert_eq!(view.table('|'), expected);
}

#[test]
fn an_update_shows_the_old_instance_removed_and_the_new_one_settling() {
    let old = WorkloadInstanceName {
        id: "0ld".into(),
        ..job2_instance()
    };
    let mut progress = job2_progress(&[job2_instance()], std::slice::from_ref(&old), false);
    let before = with_job2(job2(true, None), &old.id, ExecState::Running);
    let view = progress.observe(&Snapshot::of(&before));
    assert_eq!(
        view,
        View::default(),
        "the state before the update is not shown"
    );
    let stopping = ExecState::Stopping(Stopping::Stopping);
    let both = with_job2(
        job2(true, Some(("Pending", "Initial", ""))),
        &old.id,
        stopping,
    );
    let view = progress.observe(&Snapshot::of(&both));
    assert!(!view.done);
    let expected = lines(&[
        "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE      ADDITIONAL INFO",
        "job2            agent_S   unknown-runtime   - Stopping(Stopping)                  ",
        "job2            agent_S   unknown-runtime   - Pending(Initial)                    ",
    ]);
    assert_eq!(view.table('-'), expected);
    let view = progress.observe(&Snapshot::of(&job2(true, Some(("Running", "Ok", "")))));
    assert!(view.done);
    let expected = lines(&[
        "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE   ADDITIONAL INFO",
        "job2            agent_S                       Removed                          ",
        "job2            agent_S   unknown-runtime     Running(Ok)                      ",
    ]);
    assert_eq!(view.table('-'), expected);
}

#[test]
fn an_update_waits_for_the_new_instance_and_the_old_one_gone() {
    let inst = |id: &str| WorkloadInstanceName {
        workload_name: "web".into(),
        agent_name: "a".into(),
        id: id.into(),
    };
    let outcome = UpdateOutcome {
        added: vec![inst("new")],
        deleted: vec![inst("old")],
    };
    let e = expectations(&["web".into(), "idle".into()], &outcome, false);
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].goal, Goal::Gone);
    assert_eq!(e[1].instance.as_ref().map(|i| i.id.as_str()), Some("new"));
    assert_eq!(
        (e[2].workload.as_str(), &e[2].goal),
        ("idle", &Goal::Settled)
    );
}

#[test]
fn an_instance_updated_in_place_must_settle_again_not_go() {
    let outcome = UpdateOutcome {
        added: vec![job2_instance()],
        deleted: vec![job2_instance()],
    };
    let e = expectations(&["job2".into()], &outcome, false);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].goal, Goal::Settled);
    assert_eq!(e[0].instance, Some(job2_instance()));

    let mut progress = job2_progress(&[job2_instance()], &[job2_instance()], false);
    let running = Some(("Running", "Ok", ""));
    let states = [
        (job2(true, running), false),
        (job2(true, Some(("Pending", "Initial", ""))), false),
        (
            job2(true, Some(("Stopping", "RequestedAtRuntime", ""))),
            false,
        ),
        (
            job2(true, Some(("Pending", "Starting", "Triggered at runtime."))),
            false,
        ),
        (job2(true, running), true),
    ];
    for (i, (state, done)) in states.iter().enumerate() {
        let view = progress.observe(&Snapshot::of(state));
        assert_eq!(view.done, *done, "after state {i}");
    }
}

/// One event: the altered parts as JSON, and the altered paths.
fn event(state: &str, added: &[&str], updated: &[&str], removed: &[&str]) -> StateEvent {
    let paths = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect();
    StateEvent {
        state: serde_json::from_str(state).expect("the event state parses"),
        altered: Some(ank_model::mask::AlteredFields {
            added: paths(added),
            updated: paths(updated),
            removed: paths(removed),
        }),
    }
}

/// `workloadStates` with job2 on agent_S in `state(sub)` with `info`, as an event carries it.
fn job2_state(state: &str, sub: &str, info: &str) -> String {
    format!(
        r#"{{"workloadStates": {{"agent_S": {{"job2": {{"{JOB2_ID}": {{"additionalInfo": "{info}", "state": "{state}", "subState": "{sub}"}}}}}}}}}}"#
    )
}

/// The local states after each of `events`, from `start`.
fn replay(start: CompleteState, events: Vec<StateEvent>) -> Vec<CompleteState> {
    let mut local = start;
    let mut states = vec![local.clone()];
    for e in events {
        apply_event(&mut local, e);
        states.push(local.clone());
    }
    states
}

#[test]
fn the_samples_events_give_the_samples_apply_and_delete_output() {
    // `ank get events -c -o json` of ankaios-samples.md: m2.yaml applied, then deleted.
    let sub = |s: &str| format!("workloadStates.agent_S.job2.{JOB2_ID}.{s}");
    let applied = replay(
        crate::table::tests::sample_state(),
        vec![
            event(
                r#"{"desiredState": {"apiVersion": "v1", "workloads": {"job2": {"agent": "agent_S", "restartPolicy": "NEVER", "runtime": "unknown-runtime", "runtimeConfig": ""}}},
                    "workloadStates": {"agent_S": {"job2": {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": {"additionalInfo": "", "state": "Pending", "subState": "Initial"}}}}}"#,
                &[
                    "desiredState.workloads.job2",
                    "workloadStates.agent_S.job2",
                    "effectiveState.workloads.job2",
                ],
                &[],
                &[],
            ),
            event(
                &job2_state("Pending", "Starting", "Triggered at runtime."),
                &[],
                &[&sub("subState"), &sub("additionalInfo")],
                &[],
            ),
            event(
                &job2_state("Pending", "StartingFailed", "Unsupported Runtime"),
                &[],
                &[&sub("subState"), &sub("additionalInfo")],
                &[],
            ),
        ],
    );
    assert_prints(
        job2_progress(&[job2_instance()], &[], false),
        &applied,
        SAMPLE_APPLY,
    );

    let before_delete = applied.last().cloned().unwrap_or_default();
    let deleted = replay(
        before_delete,
        vec![
            event(
                r#"{"agents": {"agent_S": {"status": {"cpuUsage": 2, "freeMemory": 24690167808}}}}"#,
                &[],
                &[
                    "agents.agent_S.status.cpuUsage",
                    "agents.agent_S.status.freeMemory",
                ],
                &[],
            ),
            event(
                r#"{"desiredState": {"apiVersion": "v1"}}"#,
                &[],
                &[],
                &[
                    "desiredState.workloads.job2",
                    "effectiveState.workloads.job2",
                ],
            ),
            event(
                &job2_state("Stopping", "RequestedAtRuntime", ""),
                &[],
                &[&sub("subState"), &sub("state"), &sub("additionalInfo")],
                &[],
            ),
            event("{}", &[], &[], &["workloadStates.agent_S.job2"]),
        ],
    );
    assert_prints(
        job2_progress(&[], &[job2_instance()], true),
        &deleted,
        SAMPLE_DELETE,
    );
    let end = deleted.last().cloned().unwrap_or_default();
    assert_eq!(
        end.desired_state.workloads.keys().collect::<Vec<_>>(),
        ["job", "web"]
    );
    assert_eq!(end.agents.keys().collect::<Vec<_>>(), ["agent_S"]);
}

#[test]
fn events_change_only_what_they_name() {
    let start = with_job2(job2(true, None), "0ld", ExecState::Running);
    let states = replay(
        start,
        vec![
            // A field of a workload: its other fields stay.
            event(
                r#"{"desiredState": {"workloads": {"job2": {"runtimeConfig": "x"}}}}"#,
                &[],
                &["desiredState.workloads.job2.runtimeConfig"],
                &[],
            ),
            event(
                r#"{"desiredState": {"workloads": {"job2": {"agent": "agent_B"}}}}"#,
                &[],
                &["desiredState.workloads.job2.agent"],
                &[],
            ),
            // An instance removed, an agent added, another removed.
            event("{}", &[], &[], &["workloadStates.agent_S.job2.0ld"]),
            event(
                r#"{"agents": {"agent_B": {"tags": {"zone": "back"}}}}"#,
                &["agents.agent_B"],
                &[],
                &[],
            ),
            event("{}", &[], &[], &["agents.agent_S"]),
        ],
    );
    let end = states.last().cloned().unwrap_or_default();
    let job2 = &end.desired_state.workloads["job2"];
    assert_eq!(
        (job2.agent.as_str(), job2.runtime.as_str()),
        ("agent_B", "unknown-runtime")
    );
    assert_eq!(end.workload_states["agent_S"]["job2"].len(), 0);
    assert_eq!(end.agents.keys().collect::<Vec<_>>(), ["agent_B"]);
    assert_eq!(end.agents["agent_B"].tags["zone"], "back");
    // The first message of a subscription is the whole state.
    let mut local = end;
    apply_event(
        &mut local,
        StateEvent {
            state: CompleteState::default(),
            altered: None,
        },
    );
    assert_eq!(local, CompleteState::default());
}

#[test]
fn an_unchanged_table_is_not_printed_again() {
    let mut versions = Versions::default();
    let view = View {
        done: false,
        rows: vec![(row("w", "1", Some(ExecState::Running)), true)],
    };
    assert!(versions.next(&view).is_some());
    assert_eq!(versions.next(&view), None);
    assert_eq!(versions.next(&View::default()), None);
}
