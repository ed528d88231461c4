use std::collections::BTreeMap;

use ank_model::exec_state::{ExecState, Pending as P, Stopping};
use proptest::prelude::*;

use super::*;

fn name(i: usize) -> WorkloadInstanceName {
    WorkloadInstanceName {
        workload_name: format!("w{i}"),
        agent_name: "agent_A".to_owned(),
        id: "1234".to_owned(),
    }
}

/// A state tagged with its push number, so a delivery can be traced back to its push.
fn tagged(state: ExecState, tag: usize) -> ExecutionState {
    ExecutionState::with_info(state, tag.to_string())
}

fn drain(outbox: &mut Outbox) -> Vec<Pending> {
    let mut out = Vec::new();
    while !outbox.is_empty() {
        let batch = outbox.take_batch();
        assert!(!batch.is_empty(), "a non-empty outbox gives a batch");
        out.extend(batch);
    }
    out
}

fn states_of(delivered: &[Pending], i: usize) -> Vec<ExecState> {
    delivered
        .iter()
        .filter(|(n, _)| *n == name(i))
        .map(|(_, s)| s.state)
        .collect()
}

#[test]
fn a_newer_state_replaces_an_unsent_one() {
    let mut outbox = Outbox::default();
    outbox.push(name(0), tagged(ExecState::Pending(P::Starting), 0));
    outbox.push(name(1), tagged(ExecState::Running, 1));
    outbox.hold();
    outbox.push(name(0), tagged(ExecState::Running, 2));
    assert_eq!(outbox.len(), 3, "this turn's states are all kept");
    outbox.hold();
    assert_eq!(outbox.held(), 2);
    let delivered = drain(&mut outbox);
    let tags: Vec<&str> = delivered
        .iter()
        .map(|(_, s)| s.additional_info.as_str())
        .collect();
    // Push order of what is left: w1 (1) before w0's newer state (2).
    assert_eq!(tags, ["1", "2"]);
}

#[test]
fn removed_stays_ahead_of_a_readded_instance_state() {
    let mut outbox = Outbox::default();
    outbox.push(name(0), tagged(ExecState::Stopping(Stopping::Stopping), 0));
    outbox.push(name(0), tagged(ExecState::Removed, 1));
    outbox.push(name(0), tagged(ExecState::Pending(P::Initial), 2));
    outbox.push(name(0), tagged(ExecState::Running, 3));
    outbox.hold();
    assert_eq!(
        states_of(&drain(&mut outbox), 0),
        [ExecState::Removed, ExecState::Running]
    );
    // A second Removed stands for everything before it.
    outbox.push(name(0), tagged(ExecState::Removed, 4));
    outbox.push(name(0), tagged(ExecState::Running, 5));
    outbox.push(name(0), tagged(ExecState::Removed, 6));
    outbox.hold();
    assert_eq!(outbox.len(), 1);
    assert_eq!(states_of(&drain(&mut outbox), 0), [ExecState::Removed]);
}

#[test]
fn a_listed_instance_forgets_its_held_states() {
    let mut outbox = Outbox::default();
    outbox.push(name(0), tagged(ExecState::Removed, 0));
    outbox.push(name(1), tagged(ExecState::Removed, 1));
    outbox.hold();
    outbox.supersede(&name(0));
    outbox.push(name(0), tagged(ExecState::Pending(P::Starting), 2));
    let delivered = drain(&mut outbox);
    assert_eq!(states_of(&delivered, 0), [ExecState::Pending(P::Starting)]);
    assert_eq!(states_of(&delivered, 1), [ExecState::Removed]);
}

#[test]
fn states_of_a_turn_with_room_go_out_as_they_came() {
    let mut outbox = Outbox::default();
    let steps = [
        ExecState::Pending(P::Starting),
        ExecState::Pending(P::StartingFailed),
    ];
    for (tag, state) in steps.iter().enumerate() {
        outbox.push(name(0), tagged(*state, tag));
    }
    assert_eq!(states_of(&drain(&mut outbox), 0), steps);
}

#[test]
fn batches_are_capped_in_count_and_bytes() {
    let mut outbox = Outbox::default();
    for held in [false, true] {
        for i in 0..MAX_BATCH_STATES + 3 {
            outbox.push(name(i), tagged(ExecState::Running, i));
        }
        if held {
            outbox.hold();
        }
        assert_eq!(outbox.take_batch().len(), MAX_BATCH_STATES);
        assert_eq!(outbox.take_batch().len(), 3);
        assert!(outbox.is_empty());
    }
    // Held and fresh states share a batch, held ones first.
    outbox.push(name(0), tagged(ExecState::Running, 0));
    outbox.hold();
    outbox.push(name(1), tagged(ExecState::Running, 1));
    assert_eq!(outbox.take_batch().len(), 2);

    // Huge additional info (a runtime's error text): one state per message, never none.
    let big = "x".repeat(MAX_BATCH_BYTES);
    for i in 0..3 {
        outbox.push(name(i), ExecutionState::with_info(ExecState::Running, &big));
    }
    outbox.push(name(3), ExecutionState::with_info(ExecState::Running, &big));
    outbox.hold();
    for _ in 0..4 {
        assert_eq!(outbox.take_batch().len(), 1);
    }
    assert!(outbox.take_batch().is_empty());
}

fn exec_state() -> impl Strategy<Value = ExecState> {
    prop_oneof![
        Just(ExecState::Pending(P::Starting)),
        Just(ExecState::Running),
        Just(ExecState::Succeeded),
        Just(ExecState::Stopping(Stopping::Stopping)),
        Just(ExecState::Removed),
    ]
}

/// A push of a state of one of a few instances, a batch taken out (the link had room), or
/// the end of a turn with no room left.
#[derive(Debug, Clone)]
enum Op {
    Push(usize, ExecState),
    Take,
    Hold,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..5usize, exec_state()).prop_map(|(i, s)| Op::Push(i, s)),
        1 => Just(Op::Take),
        1 => Just(Op::Hold),
    ]
}

proptest! {
    /// Any interleaving of pushes and deliveries: the last state pushed per instance is the
    /// last delivered, a `Removed` is never lost, order is kept (per instance and in all), no
    /// state is delivered twice, and at most two states per instance are pending.
    #[test]
    fn delivers_the_latest_state_and_never_loses_removed(ops in prop::collection::vec(op(), 0..200)) {
        let mut outbox = Outbox::default();
        let mut pushed: Vec<(usize, ExecState)> = Vec::new();
        let mut delivered: Vec<Pending> = Vec::new();
        let mut held = false;
        for op in ops {
            match op {
                Op::Push(i, state) => {
                    outbox.push(name(i), tagged(state, pushed.len()));
                    pushed.push((i, state));
                }
                Op::Take => delivered.extend(outbox.take_batch()),
                Op::Hold => {
                    outbox.hold();
                    held = true;
                    prop_assert_eq!(outbox.len(), outbox.held());
                }
            }
            prop_assert!(outbox.held() <= 2 * 5, "bounded by the instances: {}", outbox.held());
        }
        delivered.extend(drain(&mut outbox));
        if !held {
            prop_assert_eq!(delivered.len(), pushed.len(), "with room, every step goes out");
        }

        let tags: Vec<usize> = delivered
            .iter()
            .map(|(_, s)| s.additional_info.parse().expect("a tag"))
            .collect();
        prop_assert!(tags.windows(2).all(|w| w[0] < w[1]), "push order, no duplicates: {tags:?}");
        for (tag, (name_, state)) in tags.iter().zip(&delivered) {
            let (i, pushed_state) = &pushed[*tag];
            prop_assert_eq!(name_, &name(*i));
            prop_assert_eq!(&state.state, pushed_state);
        }
        let mut last: BTreeMap<usize, usize> = BTreeMap::new();
        for (tag, (i, _)) in pushed.iter().enumerate() {
            last.insert(*i, tag);
        }
        for (i, tag) in &last {
            let mine: Vec<usize> = tags.iter().copied().filter(|t| pushed[*t].0 == *i).collect();
            prop_assert_eq!(mine.last(), Some(tag), "the last state of w{} is delivered last", i);
        }
        for (tag, (i, state)) in pushed.iter().enumerate() {
            if *state == ExecState::Removed {
                let kept = tags
                    .iter()
                    .any(|t| *t >= tag && pushed[*t].0 == *i && pushed[*t].1 == ExecState::Removed);
                prop_assert!(kept, "Removed #{} of w{} was lost: {:?}", tag, i, tags);
            }
        }
    }
}
