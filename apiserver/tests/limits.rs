//! Component tests of the server's limits: a pathological template is refused fast while
//! reads are answered and shutdown works; an update that would make the state too large is
//! refused naming the limit, and reads and agent connections keep working; a request over
//! `--max-request-size` is refused by itself.

mod support;

use std::time::{Duration, Instant};

use ank_model::proto::anchorage::from_server::FromServerEnum;
use ank_model::proto::ank_base::response::ResponseContent;
use apiserver::limits::StateLimits;
use apiserver::server::Options;

use support::*;

/// Issue 13's manifest: about 20 KB, a config list of 1 000 items and each inside each inside
/// each over it, which would render 10⁹ iterations.
fn nested_each_manifest() -> String {
    let items: Vec<String> = (0..1000).map(|i| format!("'config-item-{i:04}'")).collect();
    format!(
        "apiVersion: v1\nworkloads:\n  big:\n    agent: agent_A\n    runtime: podman\n    \
         configs: {{l: list}}\n    runtimeConfig: |\n      image: x\n      commandArgs: \
         [{{{{#each l}}}}{{{{#each @root.l}}}}{{{{#each @root.l}}}}'{{{{this}}}}',\
         {{{{/each}}}}{{{{/each}}}}{{{{/each}}}}]\nconfigs:\n  list: [{}]\n",
        items.join(", ")
    )
}

/// A workload whose runtimeConfig is `bytes` long, under the mask that adds it.
fn big_workload(name: &str, bytes: usize) -> String {
    format!(
        "apiVersion: v1\nworkloads:\n  {name}:\n    agent: agent_A\n    runtime: podman\n    \
         runtimeConfig: 'image: x\n\n      commandArgs: [\"{}\"]'\n",
        "a".repeat(bytes)
    )
}

/// Times `get state` calls until `until` is done; returns the slowest and how many there were.
async fn reads_while(server: &Server, until: &tokio::task::JoinHandle<()>) -> (Duration, usize) {
    let mut cli = server.cli().await;
    let mut slowest = Duration::ZERO;
    let mut reads = 0;
    while !until.is_finished() || reads == 0 {
        let started = Instant::now();
        let state = get_state(&mut cli, &["desiredState.workloads"]).await;
        assert!(state.desired_state.workloads.contains_key("nginx"));
        slowest = slowest.max(started.elapsed());
        reads += 1;
    }
    (slowest, reads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pathological_template_is_refused_fast_while_reads_are_answered() {
    let manifest = nested_each_manifest();
    assert!(
        (15_000..25_000).contains(&manifest.len()),
        "{}",
        manifest.len()
    );
    let server = Server::start(MANIFEST).await;
    let started = Instant::now();
    let update = {
        let cli = server.cli();
        let mut cli = cli.await;
        let manifest = manifest.clone();
        tokio::spawn(async move {
            let answer = cli
                .request(update_request(&manifest, &[]))
                .await
                .expect("answer")
                .into_inner()
                .response_content
                .expect("content");
            let ResponseContent::Error(error) = answer else {
                panic!("refused: {answer:?}")
            };
            assert!(
                error
                    .message
                    .contains("workloads.big.runtimeConfig: rendering stopped: ")
                    && error.message.contains("over the limit of"),
                "{}",
                error.message
            );
        })
    };
    let (slowest, reads) = reads_while(&server, &update).await;
    update.await.expect("the update is answered");
    let refused_after = started.elapsed();
    eprintln!("refused after {refused_after:?}; {reads} concurrent reads, slowest {slowest:?}");
    assert!(refused_after < Duration::from_secs(3), "{refused_after:?}");
    // The render runs off the actor: reads go on while it does.
    assert!(reads > 1, "no read answered while the update rendered");
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    // Nothing of it was applied.
    let state = get_state(&mut server.cli().await, &[]).await;
    assert!(!state.desired_state.workloads.contains_key("big"));

    // Shutdown while such an update is being handled ends the server promptly.
    let mut cli = server.cli().await;
    let pending = tokio::spawn(async move { cli.request(update_request(&manifest, &[])).await });
    tokio::time::sleep(Duration::from_millis(5)).await;
    let stopping = Instant::now();
    server.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "{:?}",
        stopping.elapsed()
    );
    // Answered (refused) or cut off by the shutdown; never left hanging.
    let ended = tokio::time::timeout(Duration::from_secs(5), pending).await;
    assert!(
        ended.is_ok_and(|task| task.is_ok()),
        "the pending call ends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_behind_a_rendering_one_wait_and_apply_in_order() {
    let server = Server::start(MANIFEST).await;
    let pathological = nested_each_manifest();
    let mut calls = Vec::new();
    for (i, image) in ["", "a", "b"].into_iter().enumerate() {
        let manifest = if image.is_empty() {
            pathological.clone()
        } else {
            format!(
                "apiVersion: v1\nworkloads:\n  w:\n    agent: agent_A\n    runtime: podman\n    \
                 runtimeConfig: 'image: {image}'\n"
            )
        };
        let mut cli = server.cli().await;
        calls.push(tokio::spawn(async move {
            let masks: &[&str] = if i == 0 {
                &[]
            } else {
                &["desiredState.workloads.w"]
            };
            cli.request(update_request(&manifest, masks))
                .await
                .expect("answer")
                .into_inner()
                .response_content
                .expect("content")
        }));
        // Sent in this order, while the first still renders.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.expect("task"));
    }
    assert!(
        matches!(answers[0], ResponseContent::Error(_)),
        "{:?}",
        answers[0]
    );
    for answer in &answers[1..] {
        assert!(
            matches!(answer, ResponseContent::UpdateStateSuccess(_)),
            "{answer:?}"
        );
    }
    let state = get_state(&mut server.cli().await, &[]).await;
    assert_eq!(
        state.desired_state.workloads["w"].runtime_config,
        "image: b"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_update_past_the_state_limit_is_refused_and_everything_keeps_working() {
    let server = Server::start(MANIFEST).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(_) = agent.next().await else {
        panic!("hello first")
    };
    // 700 KB each, counted twice (desired and effective state): the first fits 2 MiB, the
    // second would make it 2.7 MiB.
    let first = apply(
        &server,
        &big_workload("big1", 700_000),
        &["desiredState.workloads.big1"],
    )
    .await;
    assert!(
        matches!(first, ResponseContent::UpdateStateSuccess(_)),
        "{first:?}"
    );
    let second = apply(
        &server,
        &big_workload("big2", 700_000),
        &["desiredState.workloads.big2"],
    )
    .await;
    let ResponseContent::Error(error) = second else {
        panic!("refused: {second:?}")
    };
    assert!(
        error.message.contains("the desired state would be 2.")
            && error
                .message
                .contains("over the limit of 2 MiB (--max-state-size)"),
        "{}",
        error.message
    );

    // The whole state still reads, in one message a 4 MiB client accepts.
    let state = get_state(&mut server.cli().await, &[]).await;
    assert!(state.desired_state.workloads.contains_key("big1"));
    assert!(!state.desired_state.workloads.contains_key("big2"));

    // A restarted agent reconnects and gets its workloads in one hello.
    drop(agent);
    loop {
        let mut agent = Agent::connect(&server, "agent_A").await;
        match agent.next().await {
            FromServerEnum::ServerHello(hello) => {
                let names: Vec<_> = hello
                    .added_workloads
                    .iter()
                    .filter_map(|w| w.instance_name.as_ref())
                    .map(|n| n.workload_name.clone())
                    .collect();
                assert_eq!(names, ["big1", "nginx"]);
                break;
            }
            // The old session may not be gone yet.
            FromServerEnum::ConnectionRefused(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            other => panic!("hello or refusal: {other:?}"),
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_over_the_request_limit_is_refused_alone() {
    let options = Options {
        state_limits: StateLimits {
            max_request_bytes: 64 * 1024,
            ..StateLimits::default()
        },
        ..Options::default()
    };
    let server = Server::start_with(MANIFEST, options).await;
    let mut cli = server.cli().await;
    let status = cli
        .request(update_request(
            &big_workload("big", 100_000),
            &["desiredState.workloads.big"],
        ))
        .await
        .expect_err("over 64 KiB");
    assert!(status.message().contains("65536"), "{status:?}");
    // The same connection still serves.
    let state = get_state(&mut cli, &[]).await;
    assert!(state.desired_state.workloads.contains_key("nginx"));
    server.shutdown().await;
}
