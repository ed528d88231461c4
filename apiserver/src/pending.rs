//! Updates while their templates render. Validating and rendering a state (bounded by the
//! render budget, yet the costliest step of an update) runs on a blocking thread, so the actor
//! keeps answering reads, events, agents and shutdown meanwhile. Updates still apply one at a
//! time in arrival order: the next is masked onto the desired state and starts rendering only
//! once the previous one is applied or refused.

use std::collections::{BTreeMap, VecDeque};

use ank_model::api::{Response, ResponseContent, UpdateStateRequest, UpdateStateSuccess};
use ank_model::{mask, AgentAttributes, State};
use tokio::task::JoinHandle;

use crate::actor::Actor;
use crate::events::ReplyTo;
use crate::publish::Change;
use crate::requests::with_agent_tags;
use crate::state::{render_state, Rendered, UpdateError};

/// Updates waiting behind the one rendering; more are refused at once.
pub const MAX_WAITING: usize = 64;

/// An update as it arrived.
struct Submitted {
    id: String,
    update: UpdateStateRequest,
    reply: ReplyTo,
}

/// The update whose state renders, with what committing it needs.
pub(crate) struct Rendering {
    id: String,
    reply: ReplyTo,
    /// `agents.<agent>.tags…` masks, applied to the agents connected when it commits.
    agent_masks: Vec<String>,
    new_agents: BTreeMap<String, AgentAttributes>,
    dry_run: bool,
    task: JoinHandle<(State, Result<Rendered, UpdateError>)>,
}

/// A finished render: the update and its new state, rendered or refused.
pub(crate) type RenderDone = (Rendering, State, Result<Rendered, UpdateError>);

/// The actor's updates in flight: at most one rendering, the others waiting in order. Owned by
/// the actor; a render still running when the actor ends finishes on its own (it is bounded)
/// and is dropped.
#[derive(Default)]
pub struct Updates {
    waiting: VecDeque<Submitted>,
    rendering: Option<Rendering>,
}

impl Updates {
    /// Whether an update is rendering.
    pub fn is_rendering(&self) -> bool {
        self.rendering.is_some()
    }

    /// Completes when the rendering update's render ends; cancel-safe (the task is polled by
    /// reference and taken only once done).
    pub(crate) async fn rendered(&mut self) -> Option<RenderDone> {
        let rendering = self.rendering.as_mut()?;
        let result = (&mut rendering.task).await;
        let rendering = self.rendering.take()?;
        Some(match result {
            Ok((state, rendered)) => (rendering, state, rendered),
            Err(e) => {
                let failed = UpdateError::Invalid(format!("rendering failed: {e}"));
                (rendering, State::default(), Err(failed))
            }
        })
    }
}

impl Actor {
    /// Queues an update; it starts rendering at once when none does.
    pub(crate) fn submit_update(&mut self, id: String, update: UpdateStateRequest, reply: ReplyTo) {
        if self.updates.waiting.len() >= MAX_WAITING {
            let busy = format!("Update rejected: '{MAX_WAITING} updates are already waiting'");
            self.answer(reply, Response::error(&id, busy));
            return;
        }
        self.updates
            .waiting
            .push_back(Submitted { id, update, reply });
        self.start_next_update();
    }

    /// Starts rendering the next waiting update, answering at once those refused before.
    fn start_next_update(&mut self) {
        while !self.updates.is_rendering() {
            let Some(Submitted { id, update, reply }) = self.updates.waiting.pop_front() else {
                return;
            };
            let (agent_masks, state_masks): (Vec<String>, Vec<String>) = update
                .update_mask
                .into_iter()
                .partition(|m| m.split('.').next() == Some(mask::AGENTS));
            let new_agents = update.new_state.agents;
            // Checked now for a quick answer; applied again to the agents of commit time.
            if !agent_masks.is_empty() {
                if let Err(e) = with_agent_tags(&self.attrs, &new_agents, &agent_masks) {
                    self.answer(reply, rejected(&id, &e));
                    continue;
                }
            }
            let state = if state_masks.is_empty() && !agent_masks.is_empty() {
                // Only tags change: the desired state stays, placements may follow the tags.
                Ok(self.desired.state.clone())
            } else {
                let new = &update.new_state.desired_state;
                mask::apply_update(&self.desired.state, new, &state_masks).map_err(Into::into)
            };
            let state = match state {
                Ok(state) => state,
                Err(e) => {
                    self.answer(reply, rejected(&id, &e));
                    continue;
                }
            };
            let limits = self.desired.limits;
            let task = tokio::task::spawn_blocking(move || {
                let rendered = render_state(&state, limits);
                (state, rendered)
            });
            self.updates.rendering = Some(Rendering {
                id,
                reply,
                agent_masks,
                new_agents,
                dry_run: update.dry_run,
                task,
            });
        }
    }

    /// Commits (or refuses) an update whose render ended, tells everyone, starts the next.
    pub(crate) fn update_rendered(&mut self, done: Option<RenderDone>) {
        if let Some((rendering, state, rendered)) = done {
            let answer = self.commit_update(&rendering, state, rendered);
            self.answer(rendering.reply, answer);
            self.settle(Change::All);
        }
        self.start_next_update();
    }

    /// Plans the rendered state against the agents connected now; unless a dry run, writes it
    /// (the commit point: before it is acknowledged or forwarded) and applies it.
    fn commit_update(
        &mut self,
        update: &Rendering,
        state: State,
        rendered: Result<Rendered, UpdateError>,
    ) -> Response {
        let id = &update.id;
        let attrs = if update.agent_masks.is_empty() {
            None
        } else {
            match with_agent_tags(&self.attrs, &update.new_agents, &update.agent_masks) {
                Ok(attrs) => Some(attrs),
                Err(e) => return rejected(id, &e),
            }
        };
        let agents = attrs.as_ref().unwrap_or(&self.attrs);
        let plan = match rendered.and_then(|r| self.desired.plan_rendered(state, r, agents)) {
            Ok(plan) => plan,
            Err(e) => return rejected(id, &e),
        };
        let success = UpdateStateSuccess {
            added: plan.added.iter().map(|i| i.name.to_string()).collect(),
            deleted: plan.deleted.iter().map(|i| i.name.to_string()).collect(),
        };
        if !update.dry_run {
            if let Err(e) = self.persist(&plan) {
                tracing::error!("update refused: {e}");
                return Response::error(id, format!("Update rejected: '{e}'"));
            }
            if let Some(attrs) = attrs {
                self.attrs = attrs;
            }
            self.apply(plan);
        }
        Response::new(id, ResponseContent::UpdateStateSuccess(success))
    }
}

fn rejected(id: &str, e: &UpdateError) -> Response {
    Response::error(id, format!("Update rejected: '{e}'"))
}
