//! The log through a real shim: rotation at the cap, `tail` reaching into the rotated file,
//! `follow` across rotations, and output without newlines cut into records.

use super::*;
use crate::process::logfile::MIN_LOG_MAX_SIZE;
use crate::process::records::RECORD_MAX;

fn small() -> LogLimits {
    LogLimits {
        max_size: MIN_LOG_MAX_SIZE,
    }
}

fn numbers(lines: &[String]) -> Vec<u32> {
    lines
        .iter()
        .map(|l| l.parse().unwrap_or_else(|_| panic!("a number: {l:?}")))
        .collect()
}

async fn run_to_end(rx: &mut mpsc::UnboundedReceiver<StateUpdate>) {
    assert_eq!(next_state(rx).await, ExecutionState::running());
    assert_eq!(next_state(rx).await, ExecutionState::succeeded());
}

#[tokio::test]
async fn the_log_rotates_at_the_cap_and_tail_reaches_into_the_rotated_file() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime_with(DEFAULT_GRACE_PERIOD, small());
    let spec = node.spec("rotating", "seq 1 20000");
    rt.start(&spec).await.expect("starts");
    run_to_end(&mut rx).await;
    let size = |name| {
        std::fs::metadata(spec.instance_dir.join(name))
            .expect(name)
            .len()
    };
    assert!(size(files::LOG) <= MIN_LOG_MAX_SIZE);
    assert!(size(files::LOG_ROTATED) <= MIN_LOG_MAX_SIZE);
    assert!(size(files::LOG_ROTATED) > MIN_LOG_MAX_SIZE / 2);

    // More lines than the current file holds: the rest comes from the rotated one.
    let current = std::fs::read(spec.instance_dir.join(files::LOG)).expect("log");
    let n = current.iter().filter(|b| **b == b'\n').count() + 100;
    let tail = LogOptions {
        tail: Some(n),
        ..LogOptions::default()
    };
    let lines = numbers(&all_logs(&rt, &spec, tail).await);
    let n = u32::try_from(n).expect("small");
    assert_eq!(lines, (20_001 - n..=20_000).collect::<Vec<_>>());
    let tail = LogOptions {
        tail: Some(5),
        ..LogOptions::default()
    };
    assert_eq!(
        numbers(&all_logs(&rt, &spec, tail).await),
        [19_996, 19_997, 19_998, 19_999, 20_000]
    );

    // Everything kept: both files, in order, each line once.
    let all = numbers(&all_logs(&rt, &spec, LogOptions::default()).await);
    let first = all[0];
    assert!(first > 1, "the oldest rotations are gone");
    assert_eq!(all, (first..=20_000).collect::<Vec<_>>());
    let beyond = LogOptions {
        tail: Some(100_000),
        ..LogOptions::default()
    };
    assert_eq!(numbers(&all_logs(&rt, &spec, beyond).await), all);
}

#[tokio::test]
async fn follow_reads_across_rotations_without_loss_or_duplicates() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime_with(DEFAULT_GRACE_PERIOD, small());
    // About 300 KiB of log in batches: five rotations while the reader follows.
    let script = "sleep 0.3; i=0; while [ $i -lt 8000 ]; do seq $((i+1)) $((i+500)); \
                  i=$((i+500)); sleep 0.05; done";
    let spec = node.spec("followed", script);
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let follow = LogOptions {
        follow: true,
        ..LogOptions::default()
    };
    let lines = numbers(&all_logs(&rt, &spec, follow).await);
    assert_eq!(lines, (1..=8000).collect::<Vec<_>>());
}

#[tokio::test]
async fn output_without_newlines_becomes_bounded_records() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec(
        "endless",
        "head -c 100000 /dev/zero | tr '\\0' x; printf '\\377\\n'",
    );
    rt.start(&spec).await.expect("starts");
    run_to_end(&mut rx).await;
    let lines = all_logs(&rt, &spec, LogOptions::default()).await;
    let lens: Vec<usize> = lines.iter().map(String::len).collect();
    let rest = 100_000 - 6 * RECORD_MAX;
    assert_eq!(lens[..6], [RECORD_MAX; 6]);
    assert!(lines[..6].iter().all(|l| l.bytes().all(|b| b == b'x')));
    // The unfinished tail of the output and the invalid byte, replaced.
    assert_eq!(lines[6], "x".repeat(rest) + "\u{fffd}");
    assert_eq!(lines.len(), 7);
}

#[tokio::test]
async fn without_follow_a_growing_log_is_read_up_to_its_length_at_the_request() {
    let node = Node::new();
    // 1 MiB files: a debug build reads all of the log in well under the deadline.
    let limits = LogLimits { max_size: 1 << 20 };
    let (rt, mut rx) = node.runtime_with(DEFAULT_GRACE_PERIOD, limits);
    let spec = node.spec("firehose", "exec yes");
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tail = LogOptions {
        tail: Some(5),
        ..LogOptions::default()
    };
    assert_eq!(all_logs(&rt, &spec, tail).await, ["y"; 5]);
    let all = all_logs(&rt, &spec, LogOptions::default()).await;
    assert!(!all.is_empty() && all.iter().all(|l| l == "y"));
    rt.stop(&spec.instance).await.expect("stops");
}
