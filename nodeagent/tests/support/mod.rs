//! What the agent's component tests share: a fake server (a tonic AgentConnection on
//! 127.0.0.1:0) that answers heartbeats until frozen, and the real agent with the native
//! runtime.
#![allow(dead_code)] // each test file uses a part

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ank_model::proto::anchorage::agent_connection_server::{
    AgentConnection, AgentConnectionServer,
};
use ank_model::proto::anchorage::from_server::FromServerEnum;
use ank_model::proto::anchorage::to_server::ToServerEnum;
use ank_model::proto::anchorage::{FromServer, ToServer};
use ank_model::ExecutionState;
use nodeagent::AgentSettings;
use runtimes::process::{ProcessConfig, ProcessRuntime, ShimCommand};
use runtimes::RuntimeRegistry;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::{Request, Response, Status, Streaming};

/// One agent session as the test sees it: heartbeats are answered by the fake server (until
/// [`Session::freeze`]) and counted, everything else comes to the test.
pub struct Session {
    inbound: mpsc::Receiver<ToServerEnum>,
    outbound: mpsc::Sender<Result<FromServer, Status>>,
    echo: Arc<AtomicBool>,
    heartbeats: Arc<AtomicUsize>,
    /// States of a message [`Session::state`] has read but not yet returned: the agent
    /// batches several into one `UpdateWorkloadState`.
    states: VecDeque<ExecutionState>,
}

pub struct FakeServer {
    sessions: mpsc::Sender<Session>,
}

#[tonic::async_trait]
impl AgentConnection for FakeServer {
    type SessionStream = ReceiverStream<Result<FromServer, Status>>;
    async fn session(
        &self,
        request: Request<Streaming<ToServer>>,
    ) -> Result<Response<Self::SessionStream>, Status> {
        let (outbound, rx) = mpsc::channel(64);
        let (to_test, inbound) = mpsc::channel(1024);
        let echo = Arc::new(AtomicBool::new(true));
        let heartbeats = Arc::new(AtomicUsize::new(0));
        tokio::spawn(read_session(
            request.into_inner(),
            to_test,
            outbound.downgrade(),
            Arc::clone(&echo),
            Arc::clone(&heartbeats),
        ));
        let session = Session {
            inbound,
            outbound,
            echo,
            heartbeats,
            states: VecDeque::new(),
        };
        self.sessions
            .send(session)
            .await
            .map_err(|_| Status::internal("test gone"))?;
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

/// Answers and counts heartbeats, forwards the rest; holds the response stream only weakly,
/// so that dropping the [`Session`] still ends it.
async fn read_session(
    mut stream: Streaming<ToServer>,
    to_test: mpsc::Sender<ToServerEnum>,
    outbound: mpsc::WeakSender<Result<FromServer, Status>>,
    echo: Arc<AtomicBool>,
    heartbeats: Arc<AtomicUsize>,
) {
    while let Ok(Some(message)) = stream.message().await {
        let message = match message.to_server_enum {
            Some(ToServerEnum::Heartbeat(beat)) => {
                heartbeats.fetch_add(1, Ordering::Relaxed);
                let out = outbound.upgrade();
                if let Some(out) = out.filter(|_| echo.load(Ordering::Relaxed)) {
                    let beat = FromServerEnum::Heartbeat(beat);
                    let _ = out.try_send(Ok(FromServer {
                        from_server_enum: Some(beat),
                    }));
                }
                continue;
            }
            Some(message) => message,
            None => continue,
        };
        if to_test.send(message).await.is_err() {
            return;
        }
    }
}

impl Session {
    pub async fn send(&self, message: FromServerEnum) {
        let message = FromServer {
            from_server_enum: Some(message),
        };
        self.outbound.send(Ok(message)).await.expect("session open");
    }

    pub async fn recv(&mut self) -> ToServerEnum {
        tokio::time::timeout(Duration::from_secs(20), self.inbound.recv())
            .await
            .expect("a message in time")
            .expect("stream open")
    }

    /// The next workload state the agent reports.
    /// Fails after 20 s even while other messages (load reports) keep coming.
    pub async fn state(&mut self) -> ExecutionState {
        let next = async {
            loop {
                if let Some(state) = self.states.pop_front() {
                    return state;
                }
                if let ToServerEnum::UpdateWorkloadState(update) = self.recv().await {
                    self.states
                        .extend(update.workload_states.into_iter().map(|state| {
                            let state = state.execution_state.expect("set");
                            ExecutionState::try_from(state).expect("valid")
                        }));
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), next)
            .await
            .expect("a workload state in time")
    }

    /// The server stops answering, its connection still open (as a frozen process).
    pub fn freeze(&self) {
        self.echo.store(false, Ordering::Relaxed);
    }

    /// Heartbeats the agent sent on this session so far.
    pub fn heartbeats(&self) -> usize {
        self.heartbeats.load(Ordering::Relaxed)
    }
}

pub struct Agent {
    pub stop: oneshot::Sender<()>,
    pub task: tokio::task::JoinHandle<()>,
}

pub fn start_agent(settings: &AgentSettings) -> Agent {
    let (sink, states) = mpsc::unbounded_channel();
    let shim = ShimCommand {
        program: env!("CARGO_BIN_EXE_ank-agent").into(),
        args: vec!["__shim".into()],
        env: Vec::new(),
    };
    let config = ProcessConfig {
        run_folder: settings.run_folder.clone(),
        shim,
        grace_period: Duration::from_secs(2),
        // Each test has its own run folder, which keeps its cgroups apart from the others'.
        containment: runtimes::process::contain::detect(),
        log: runtimes::process::logfile::LogLimits::default(),
    };
    let mut runtimes = RuntimeRegistry::new();
    runtimes.register(Arc::new(ProcessRuntime::new(config, sink)));
    let (stop, stopped) = oneshot::channel::<()>();
    let settings = settings.clone();
    let task = tokio::spawn(nodeagent::run(settings, runtimes, states, async move {
        let _ = stopped.await;
    }));
    Agent { stop, task }
}

/// A fake server on 127.0.0.1:0, its sessions, a run folder and the settings of an agent
/// `agent_A` for it.
pub async fn start_server() -> (
    tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
    mpsc::Receiver<Session>,
    tempfile::TempDir,
    AgentSettings,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (sessions_tx, sessions) = mpsc::channel(4);
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(AgentConnectionServer::new(FakeServer {
                sessions: sessions_tx,
            }))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = AgentSettings {
        name: "agent_A".into(),
        server_url: format!("http://{address}"),
        dialer: ank_transport::Dialer::new(
            &format!("http://{address}"),
            &ank_transport::Security::Insecure,
            std::time::Duration::from_secs(5),
        )
        .expect("dialer"),
        tags: BTreeMap::new(),
        run_folder: tmp.path().to_owned(),
        dead_link: Duration::from_secs(5),
    };
    (server, sessions, tmp, settings)
}
