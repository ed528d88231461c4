//! The soak (issue 12, "Show"): a server with `--state-file` and two agents, all with a 2 s
//! dead-link time, and for a fixed count of rounds within a time limit, at random (a seeded
//! xorshift; the seed is printed): `kill -9` of an agent, the server or both and their restart,
//! a partition (SIGSTOP of an agent or the server beyond the dead-link time, then SIGCONT),
//! and updates adding and deleting native workloads, some with the server killed while the
//! update is in flight. After each round it waits for convergence and judges
//! ([`check::look`]); at the end it prints the figures and fails if a must-be-0 one is not.

mod check;
mod cluster;
mod update;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;

use check::{converge, Desired, Verdict};
use cluster::{Cluster, AGENTS};
use update::{pick, update, update_in_flight};

/// How long a round may take to converge before it counts as failed.
const CONVERGE: Duration = Duration::from_secs(30);
/// Beyond the dead-link time (2 s).
const FROZEN: Duration = Duration::from_secs(3);
/// Keeps the node light: above this many workloads, updates delete more than they add.
pub(crate) const MAX_WORKLOADS: usize = 24;

/// A xorshift64* generator: reproducible rounds from a printed seed, no crate needed.
pub(crate) struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The printed figures.
#[derive(Default)]
pub(crate) struct Figures {
    kills: usize,
    partitions: usize,
    /// Agents frozen, and how many of them the server had dropped before the SIGCONT.
    agents_frozen: usize,
    noticed: usize,
    updates: usize,
    pub(crate) lost: usize,
    orphans: usize,
    recoveries: Vec<Duration>,
}

/// Runs `rounds` rounds (at most `seconds` long in all) from `seed`.
pub async fn run(
    bin_dir: &Path,
    root: &Path,
    rounds: usize,
    seconds: u64,
    seed: u64,
) -> anyhow::Result<()> {
    println!("soak: seed {seed}, {rounds} rounds, at most {seconds} s");
    let mut rng = Rng(seed.max(1));
    let mut c = Cluster::start(bin_dir, root).await?;
    let mut want = Desired::new();
    let mut next = 0;
    let mut f = Figures::default();
    let started = Instant::now();
    let mut done = 0;
    while done < rounds && started.elapsed() < Duration::from_secs(seconds) {
        done += 1;
        let what = match rng.below(10) {
            0..=3 => {
                let in_flight = rng.below(3) == 0;
                let delay = Duration::from_millis(rng.below(150) as u64);
                let (add, delete) = pick(&mut rng, &want, &mut next);
                f.updates += 1;
                let what = format!("update +{} -{}", add.len(), delete.len());
                if in_flight {
                    let how = update_in_flight(&mut c, &mut want, &mut f, add, delete, delay);
                    let how = how.await?;
                    format!("{what}, server killed at {} ms: {how}", delay.as_millis())
                } else {
                    update(&c, &mut want, &add, &delete, &c.starts_dir).await?;
                    what
                }
            }
            4 => {
                let agent = AGENTS[rng.below(AGENTS.len())];
                c.kill_agent(agent);
                // Seen gone first, so the convergence below is the new agent's.
                cluster::until_agent(&c.url, agent, false).await;
                c.start_agent(agent)?;
                f.kills += 1;
                format!("kill -9 {agent}")
            }
            5 => {
                c.kill_server();
                c.start_server().await?;
                f.kills += 1;
                "kill -9 server".to_owned()
            }
            6 | 7 => {
                let agent = AGENTS[rng.below(AGENTS.len())];
                let server_first = rng.below(2) == 0;
                let back_server_first = rng.below(2) == 0;
                kill_both(&mut c, agent, server_first, back_server_first).await?;
                f.kills += 2;
                format!(
                    "kill -9 {} then {}, {} back first",
                    if server_first { "server" } else { agent },
                    if server_first { agent } else { "server" },
                    if back_server_first { "server" } else { agent },
                )
            }
            _ => {
                let pid = match rng.below(3) {
                    0 => c.server_pid(),
                    n => c.agent_pid(AGENTS[n - 1]),
                };
                let who = pid.map_or("nobody", |(who, _)| who);
                if let Some((_, pid)) = pid {
                    cluster::signal(pid, "STOP");
                    tokio::time::sleep(FROZEN).await;
                    if who != "server" {
                        f.agents_frozen += 1;
                        let state = check::state(&c.url).await;
                        f.noticed +=
                            usize::from(state.is_some_and(|s| !s.agents.contains_key(who)));
                    }
                    cluster::signal(pid, "CONT");
                    f.partitions += 1;
                }
                format!("partition: {who} stopped {} s", FROZEN.as_secs())
            }
        };
        let (v, took) = converge(&c.url, &want, &AGENTS, &c.marker, CONVERGE).await;
        println!(
            "round {done:3} at {:5.1} s: {what:60} {} workloads, {}",
            started.elapsed().as_secs_f64(),
            want.len(),
            if v.converged() {
                format!("converged in {} ms", took.as_millis())
            } else {
                format!("NOT converged: {v:?}")
            }
        );
        f.recoveries.push(took);
        if !v.converged() {
            settle(&mut want, &mut f, &v, &c.marker);
        }
    }
    report(&c, &f, done, started.elapsed());
    c.teardown().await;
    let (_, doubled) = check::starts(&c.starts_dir);
    if f.lost + doubled + f.orphans > 0 {
        bail!("the soak found faults (seed {seed})");
    }
    Ok(())
}

/// After a failed convergence: counts what was wrong and starts the next round from what the
/// server holds, with the orphans killed, so one fault is counted once.
fn settle(want: &mut Desired, f: &mut Figures, v: &Verdict, marker: &str) {
    f.lost += v.lost.len();
    f.orphans += v.orphans.len();
    if let Some(server) = &v.server {
        *want = server.clone();
    }
    for (name, pid) in check::live_pids(marker) {
        if !want.contains_key(&name) {
            cluster::signal(pid, "KILL");
        }
    }
}

async fn kill_both(
    c: &mut Cluster,
    agent: &str,
    server_first: bool,
    back_server_first: bool,
) -> anyhow::Result<()> {
    if server_first {
        c.kill_server();
        c.kill_agent(agent);
    } else {
        c.kill_agent(agent);
        c.kill_server();
    }
    if back_server_first {
        c.start_server().await?;
        c.start_agent(agent)?;
    } else {
        c.start_agent(agent)?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.start_server().await?;
    }
    Ok(())
}

fn report(c: &Cluster, f: &Figures, rounds: usize, took: Duration) {
    let (started, doubled) = check::starts(&c.starts_dir);
    let mut times = f.recoveries.clone();
    times.sort();
    let at = |q: f64| times.get(((times.len() as f64 - 1.0) * q).round() as usize);
    let ms = |d: Option<&Duration>| d.map_or(0, Duration::as_millis);
    println!("soak: {rounds} rounds in {:.0} s", took.as_secs_f64());
    println!("workloads started:  {started}");
    println!("updates:            {}", f.updates);
    println!("kills survived:     {}", f.kills);
    println!(
        "partitions healed:  {} ({}/{} frozen agents dropped by the server before SIGCONT)",
        f.partitions, f.noticed, f.agents_frozen
    );
    println!(
        "convergence:        p50 {} ms, max {} ms",
        ms(at(0.5)),
        ms(at(1.0))
    );
    println!("updates lost:       {} (must be 0)", f.lost);
    println!("duplicate starts:   {doubled} (must be 0)");
    println!("orphans left:       {} (must be 0)", f.orphans);
}
