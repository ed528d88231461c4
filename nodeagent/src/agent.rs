//! The agent's event loop: one owner for every workload instance, fed by a closed [`Event`]
//! enum (server messages, runtime states, finished operations, timers, load ticks). Each arm is
//! one call to a named method. Every task it spawns sits in one of its `JoinSet`s and ends when
//! the loop ends; the workloads themselves keep running for the next agent to adopt.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use ank_model::api;
use ank_model::exec_state::ExecState;
use ank_model::proto::anchorage::to_server::ToServerEnum;
use ank_model::proto::anchorage::{AgentHello, AgentLoadStatus, ToServer};
use ank_model::{ExecutionState, WorkloadInstanceName};
use runtimes::{RuntimeRegistry, StateUpdate};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::connection::{self, ConnEvent};
use crate::control_interface::{ControlInterfaces, Outgoing};
use crate::convert;
use crate::load::LoadMeter;
use crate::logs::{self, LogStreams};
use crate::outbox::Outbox;
use crate::workload::dependencies::Known;
use crate::workload::grace::Grace;
use crate::workload::Instance;
use ank_model::assign::{AddedWorkload, ServerMessage};

/// Session queue slots that pending states leave to other messages (control-interface
/// requests, log entries, load, heartbeats) when they go out at the end of an event.
pub const HEADROOM: usize = 64;

/// Least time between two state messages while they flow: the first state of a quiet spell
/// goes out at once, what follows within this time goes out together (every step kept). A
/// flood of thousands of changes then makes a few messages a second, not one per event, each
/// of which the server diffs for its subscribers.
pub const LINGER: Duration = Duration::from_millis(100);

/// How often the node's load is reported while connected.
pub const LOAD_PERIOD: Duration = Duration::from_secs(3);

/// Who the agent is and where it keeps its files.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// The agent's name (`[a-zA-Z0-9_-]+`).
    pub name: String,
    /// `http(s)://host:port` of the server, for logs.
    pub server_url: String,
    /// How to dial it (plain or mTLS).
    pub dialer: ank_transport::Dialer,
    /// Tags sent in AgentHello.
    pub tags: BTreeMap<String, String>,
    /// The run folder (instance folders are in `<run_folder>/<name>_io/`).
    pub run_folder: PathBuf,
    /// Silence of the server after which the session is dropped (`--dead-link-timeout`).
    pub dead_link: Duration,
}

/// Everything the loop reacts to.
pub enum Event {
    /// The connection's news.
    Conn(ConnEvent),
    /// Runtimes saw instances change: every report that was queued, in order.
    Runtime(Vec<StateUpdate>),
    /// A start or stop finished.
    Op(OpDone),
    /// A timer fired.
    Timer(Timer),
    /// Time to report the load.
    LoadTick,
    /// The session queue has room again for held states: one slot reserved for them.
    Room(mpsc::OwnedPermit<ToServer>),
    /// [`LINGER`] after the last state message: time for the next.
    Linger,
    /// A workload asks the server something through its control interface.
    ControlInterface(Outgoing),
}

/// A finished runtime operation.
pub enum OpDone {
    /// `start` of a managed instance.
    Started(WorkloadInstanceName, Result<(), String>),
    /// `stop` of a deleted instance.
    Stopped(WorkloadInstanceName, Result<(), String>),
    /// `stop` of an instance found on the node that the server does not want.
    OrphanStopped(WorkloadInstanceName, Result<(), String>),
    /// A runtime's `list_instances` for the session numbered first.
    Listed(u64, &'static str, Result<Vec<WorkloadInstanceName>, String>),
}

/// A timer of one instance; ignored unless its generation is still the instance's.
pub enum Timer {
    /// Start again (retry after a failed start, or a restart).
    Launch(WorkloadInstanceName, u64),
    /// Stop again after a failed stop.
    Stop(WorkloadInstanceName, u64),
    /// The startup grace granted in the session numbered is over.
    GraceOver(u64),
    /// The agent has been disconnected for the instance's `disconnectPolicy` time; ignored
    /// unless the link epoch is still the agent's.
    CutOff(WorkloadInstanceName, u64),
}

/// The agent's state; see the module docs.
pub struct Agent {
    pub(crate) name: String,
    pub(crate) run_folder: PathBuf,
    pub(crate) runtimes: RuntimeRegistry,
    /// The current session's sender; `None` while disconnected.
    pub(crate) server: Option<mpsc::Sender<ToServer>>,
    pub(crate) instances: BTreeMap<WorkloadInstanceName, Instance>,
    /// States of all workloads the agent has heard of, for dependency decisions.
    pub(crate) known: Known,
    /// Counts state changes, so `reevaluate` knows when nothing moves any more.
    pub(crate) changes: u64,
    /// This agent's state changes not yet sent, coalesced per instance: sent at the end of
    /// each event while the session queue has room (a hundred workloads starting at once make
    /// a few messages, not a hundred), else as soon as it has; never dropped (see `outbox`).
    pub(crate) outbox: Outbox,
    /// When the next state message may go ([`LINGER`] after the last one).
    next_flush: Option<tokio::time::Instant>,
    /// Counts sessions, so that a listing of an earlier one is ignored.
    pub(crate) session: u64,
    /// Moves on at every connect and disconnect, so that a disconnect timer of an earlier
    /// cut-off is ignored.
    pub(crate) link_epoch: u64,
    /// Runtimes whose listing of the node is still running, with the desired instances that
    /// wait for it (see `workload::adopt`).
    pub(crate) listing: BTreeMap<&'static str, Vec<AddedWorkload>>,
    /// What a server's startup grace keeps, while it lasts.
    pub(crate) grace: Option<Grace>,
    pub(crate) ops: JoinSet<OpDone>,
    pub(crate) timers: JoinSet<Timer>,
    logs: LogStreams,
    /// The workloads' control interfaces and their tasks.
    pub(crate) control_interfaces: ControlInterfaces,
    load: LoadMeter,
    /// Ticks only while connected.
    load_tick: Option<Interval>,
}

/// Runs the agent until `shutdown` completes: connects to the server (and reconnects), runs
/// the assigned workloads on `runtimes`, whose states arrive on `states`.
pub async fn run(
    settings: AgentSettings,
    runtimes: RuntimeRegistry,
    states: mpsc::UnboundedReceiver<StateUpdate>,
    shutdown: impl Future<Output = ()>,
) {
    let hello = AgentHello {
        agent_name: settings.name.clone(),
        protocol_version: ank_model::ANKAIOS_VERSION.to_owned(),
        tags: settings.tags.clone(),
    };
    let (conn_tx, conn_rx) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let link = connection::Link {
        dialer: settings.dialer.clone(),
        url: settings.server_url.clone(),
        dead_link: settings.dead_link,
    };
    let connection = tokio::spawn(connection::run(link, hello, conn_tx, cancel.clone()));
    let mut agent = Agent::new(&settings, runtimes);
    agent.event_loop(conn_rx, states, shutdown).await;
    cancel.cancel();
    let _ = connection.await;
    agent.shutdown().await;
}

impl Agent {
    /// An agent with no instances, not connected.
    pub fn new(settings: &AgentSettings, runtimes: RuntimeRegistry) -> Self {
        Agent {
            name: settings.name.clone(),
            run_folder: settings.run_folder.clone(),
            runtimes,
            server: None,
            instances: BTreeMap::new(),
            known: Known::default(),
            changes: 0,
            outbox: Outbox::default(),
            next_flush: None,
            session: 0,
            link_epoch: 0,
            listing: BTreeMap::new(),
            grace: None,
            ops: JoinSet::new(),
            timers: JoinSet::new(),
            logs: LogStreams::default(),
            control_interfaces: ControlInterfaces::default(),
            load: LoadMeter::default(),
            load_tick: None,
        }
    }

    /// Handles events until `shutdown` completes or the connection task is gone.
    pub async fn event_loop(
        &mut self,
        mut conn: mpsc::Receiver<ConnEvent>,
        mut states: mpsc::UnboundedReceiver<StateUpdate>,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            let event = tokio::select! {
                () = &mut shutdown => return,
                event = conn.recv() => match event {
                    Some(event) => Event::Conn(event),
                    None => return,
                },
                Some(update) = states.recv() => {
                    let mut batch = vec![update];
                    while let Ok(more) = states.try_recv() {
                        batch.push(more);
                    }
                    Event::Runtime(batch)
                }
                Some(Ok(done)) = self.ops.join_next() => Event::Op(done),
                Some(Ok(timer)) = self.timers.join_next() => Event::Timer(timer),
                () = self.logs.reap() => continue,
                request = self.control_interfaces.next() => Event::ControlInterface(request),
                () = tick(&mut self.load_tick) => Event::LoadTick,
                permit = room(&self.server), if self.outbox.held() > 0 => Event::Room(permit),
                () = linger(self.next_flush), if self.outbox.fresh() > 0 => Event::Linger,
            };
            self.handle(event).await;
        }
    }

    async fn handle(&mut self, event: Event) {
        match event {
            Event::Conn(ConnEvent::Connected { sender, hello }) => {
                self.on_connected(sender, *hello);
            }
            Event::Conn(ConnEvent::Message(message)) => self.on_message(*message),
            Event::Conn(ConnEvent::Disconnected) => self.on_disconnected().await,
            Event::Runtime(batch) => {
                for update in batch {
                    self.on_runtime_state(update);
                }
            }
            Event::Op(done) => self.on_op_done(done),
            Event::Timer(timer) => self.on_timer(timer),
            Event::LoadTick => self.send_load(),
            Event::Room(permit) => {
                let batch = self.outbox.take_batch();
                if !batch.is_empty() {
                    permit.send(convert::update_states(batch));
                }
            }
            // `flush_states` below sends them.
            Event::Linger => {}
            Event::ControlInterface(request) => self.on_control_interface_request(request),
        }
        self.reevaluate();
        self.flush_states();
    }

    /// Sends pending states while the session queue has room beyond [`HEADROOM`], unless the
    /// last message went less than [`LINGER`] ago (then [`Event::Linger`] comes); what finds
    /// no room is held (coalesced) for [`Event::Room`] or the next session.
    pub(crate) fn flush_states(&mut self) {
        if self.outbox.is_empty() {
            return;
        }
        let now = tokio::time::Instant::now();
        if let Some(server) = &self.server {
            if self.next_flush.is_some_and(|at| now < at) {
                return;
            }
            while !self.outbox.is_empty() && server.capacity() > HEADROOM {
                let Ok(permit) = server.try_reserve() else {
                    break;
                };
                permit.send(convert::update_states(self.outbox.take_batch()));
                self.next_flush = Some(now + LINGER);
            }
        }
        self.outbox.hold();
    }

    /// Ends everything the agent owns except the workloads.
    pub async fn shutdown(&mut self) {
        self.ops.shutdown().await;
        self.timers.shutdown().await;
        self.logs.cancel_all().await;
        self.control_interfaces.shutdown().await;
        for runtime in self.runtimes.iter() {
            runtime.shutdown().await;
        }
    }

    pub(crate) fn start_load_reports(&mut self) {
        let mut interval = tokio::time::interval(LOAD_PERIOD);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        self.load_tick = Some(interval);
    }

    async fn on_disconnected(&mut self) {
        tracing::warn!("disconnected from the server");
        self.server = None;
        self.load_tick = None;
        self.logs.cancel_all().await;
        self.control_interfaces.server_gone();
        self.start_disconnect_timers();
    }

    /// Forwards a workload's request to the server; without a connection the workload gets
    /// an error answer at once.
    fn on_control_interface_request(&mut self, request: Outgoing) {
        self.control_interfaces
            .forward(request, self.server.as_ref());
    }

    fn on_message(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::Update { added, deleted } => {
                for deleted in deleted {
                    self.deleted_in_grace(&deleted.instance);
                    if self.forget_waiting(&deleted.instance) {
                        let removed = ExecutionState::new(ExecState::Removed);
                        self.outbox.push(deleted.instance, removed);
                    } else {
                        self.delete(deleted);
                    }
                }
                for desired in added {
                    self.add_when_listed(desired);
                }
            }
            ServerMessage::States(states) => {
                for (instance, state) in states {
                    self.observe(&instance, &state);
                }
            }
            ServerMessage::Logs(request) => self.on_logs_request(request),
            ServerMessage::Response(response) => {
                self.control_interfaces
                    .route(response, self.server.as_ref());
            }
            // The connection ends the session on a refusal and keeps heartbeats to itself.
            ServerMessage::Refused(_) | ServerMessage::Heartbeat => {
                tracing::warn!("unexpected session message")
            }
        }
    }

    /// Records the state of a workload another agent (or the server) reports. This agent's
    /// own instances are its own to tell.
    pub(crate) fn observe(&mut self, instance: &WorkloadInstanceName, state: &ExecutionState) {
        if !self.instances.contains_key(instance) {
            self.known.set(instance, state);
            self.changes += 1;
        }
    }

    fn on_logs_request(&mut self, request: api::Request) {
        let Some(sender) = self.server.clone() else {
            return;
        };
        match request.content {
            api::RequestContent::Logs(logs_request) => {
                let options = logs::options(&logs_request);
                let names: BTreeSet<WorkloadInstanceName> = logs_request
                    .names
                    .into_iter()
                    .filter(|n| n.agent_name == self.name)
                    .collect();
                let instances = names
                    .into_iter()
                    .map(|name| {
                        let runtime = self
                            .instances
                            .get(&name)
                            .and_then(|i| self.runtimes.get(&i.desired.runtime).cloned());
                        (name, runtime)
                    })
                    .collect();
                self.logs.start(request.id, &options, instances, sender);
            }
            api::RequestContent::LogsCancel => self.logs.cancel(&request.id),
            _ => tracing::warn!(id = request.id, "unexpected request from the server"),
        }
    }

    fn send_load(&mut self) {
        let (cpu_usage, free_memory) = self.load.sample();
        self.send(convert::to_server(ToServerEnum::AgentLoadStatus(
            AgentLoadStatus {
                agent_name: self.name.clone(),
                cpu_usage,
                free_memory,
            },
        )));
    }

    /// Sends a load report if connected. A full queue skips it: the next one follows in
    /// [`LOAD_PERIOD`], and only the latest matters.
    fn send(&self, message: ToServer) {
        if let Some(server) = &self.server {
            if server.try_send(message).is_err() {
                tracing::debug!("server queue full, skipping a load report");
            }
        }
    }
}

/// Completes at `at` (never without one).
async fn linger(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One slot of the session queue, once it has one; never while disconnected (or once the
/// session's queue closed: the disconnect follows).
async fn room(server: &Option<mpsc::Sender<ToServer>>) -> mpsc::OwnedPermit<ToServer> {
    match server {
        Some(server) => match server.clone().reserve_owned().await {
            Ok(permit) => permit,
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}
