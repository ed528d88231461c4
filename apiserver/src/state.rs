//! The desired state and what follows from it: one [`Instance`] per workload (rendered, placed,
//! named `<workload>.<id>.<agent>`). An update is first *planned* (masks applied, validated,
//! every workload rendered and placed, diffed against the current instances) and only then
//! applied, so a rejected update changes nothing.

use std::collections::BTreeMap;

use ank_model::assign::AddedWorkload;
use ank_model::exec_state::{ExecState, Pending};
use ank_model::mask::{self, MaskError};
use ank_model::render::{RenderError, RenderedWorkload, Renderer};
use ank_model::{AgentAttributes, ExecutionState, State, Workload, WorkloadInstanceName};

use crate::limits::{StateLimits, StateTooLarge};
use crate::schedule;

/// Why an update is rejected; shown as `Update rejected: '<this>'`.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The update masks cannot be applied.
    #[error(transparent)]
    Mask(#[from] MaskError),
    /// An update mask below `agents` other than `agents.<agent>.tags[.<key>]`.
    #[error("update mask '{0}' cannot be applied: below 'agents' only 'agents.<agent>.tags' can be updated")]
    UnsupportedMask(String),
    /// Tags of an agent that is not connected.
    #[error("agent '{0}' is not connected")]
    UnknownAgent(String),
    /// The resulting state breaks validation rules.
    #[error("{0}")]
    Invalid(String),
    /// The state would be too large to send to clients and agents.
    #[error(transparent)]
    TooLarge(#[from] StateTooLarge),
    /// A workload's template does not render.
    #[error("workload '{workload}': {source}")]
    Render {
        /// The workload's name.
        workload: String,
        /// The rendering error.
        #[source]
        source: RenderError,
    },
}

/// One workload as the server hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// `<workload>.<id>.<agent>`; the agent is empty while unscheduled.
    pub name: WorkloadInstanceName,
    /// The workload as declared.
    pub workload: Workload,
    /// Its rendered templates.
    pub rendered: RenderedWorkload,
    /// For a workload without an agent: the state the server reports for it
    /// (`NotScheduled`, or `Pending(Initial)` with the nodeSelector reason).
    pub unscheduled: Option<ExecutionState>,
}

impl Instance {
    /// The agent that runs it, if it is scheduled.
    pub fn agent(&self) -> Option<&str> {
        self.unscheduled
            .is_none()
            .then_some(self.name.agent_name.as_str())
    }

    /// The workload as the server applies it: rendered, placed, without config aliases.
    pub fn effective(&self) -> Workload {
        Workload {
            agent: self.name.agent_name.clone(),
            runtime_config: self.rendered.runtime_config.clone(),
            files: self.rendered.files.clone(),
            configs: BTreeMap::new(),
            ..self.workload.clone()
        }
    }

    /// What tells an agent to run it.
    pub fn to_added(&self) -> AddedWorkload {
        let w = &self.workload;
        AddedWorkload {
            instance: self.name.clone(),
            runtime: w.runtime.clone(),
            runtime_config: self.rendered.runtime_config.clone(),
            restart_policy: w.restart_policy,
            dependencies: w.dependencies.clone(),
            tags: w.tags.clone(),
            control_interface_access: w.control_interface_access.clone(),
            files: self.rendered.files.clone(),
            disconnect_policy: w.disconnect_policy,
        }
    }
}

/// What an update would do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The new desired state.
    pub state: State,
    /// The instances of the new state, by workload name.
    pub instances: BTreeMap<String, Instance>,
    /// nodeSelector placements of the new state.
    pub placements: BTreeMap<String, String>,
    /// Instances to start (new, or changed in any way).
    pub added: Vec<Instance>,
    /// Instances to stop (gone, or changed in any way).
    pub deleted: Vec<Instance>,
}

/// The desired state with its instances. Owned by the actor.
#[derive(Debug, Default)]
pub struct Desired {
    /// The desired state as the user wrote it.
    pub state: State,
    /// The current instances, by workload name.
    pub instances: BTreeMap<String, Instance>,
    /// Agents chosen through nodeSelector, by workload name; kept while the agent still
    /// matches (or is disconnected), so a workload does not move when others connect.
    pub placements: BTreeMap<String, String>,
    /// The bounds every plan is checked against.
    pub limits: StateLimits,
}

impl Desired {
    /// Plans an `UpdateStateRequest`: `new` at the `masks` paths (all for none).
    pub fn plan_update(
        &self,
        new: &State,
        masks: &[String],
        agents: &BTreeMap<String, AgentAttributes>,
    ) -> Result<Plan, UpdateError> {
        self.plan(mask::apply_update(&self.state, new, masks)?, agents)
    }

    /// Plans replacing the desired state by `state`, with `agents` connected.
    pub fn plan(
        &self,
        state: State,
        agents: &BTreeMap<String, AgentAttributes>,
    ) -> Result<Plan, UpdateError> {
        let rendered = render_state(&state, self.limits)?;
        self.plan_rendered(state, rendered, agents)
    }

    /// Plans replacing the desired state by `state`, whose workloads [`render_state`] rendered.
    pub fn plan_rendered(
        &self,
        state: State,
        rendered: Rendered,
        agents: &BTreeMap<String, AgentAttributes>,
    ) -> Result<Plan, UpdateError> {
        let placements = self.place(&state, &rendered, agents);
        let instances: BTreeMap<String, Instance> = rendered
            .into_iter()
            .map(|(name, r)| {
                let workload = state.workloads[&name].clone();
                let instance = make_instance(&name, workload, r, placements.get(&name));
                (name, instance)
            })
            .collect();
        let mut added = Vec::new();
        let mut deleted = Vec::new();
        for (name, old) in &self.instances {
            if instances.get(name) != Some(old) {
                deleted.push(old.clone());
            }
        }
        for (name, new) in &instances {
            if self.instances.get(name) != Some(new) {
                added.push(new.clone());
            }
        }
        let plan = Plan {
            state,
            instances,
            placements,
            added,
            deleted,
        };
        self.limits.check_state(&plan)?;
        Ok(plan)
    }

    /// Chooses agents for the workloads with an empty (rendered) agent and a nodeSelector:
    /// remembered placements first, then new ones in name order, spread by load.
    fn place(
        &self,
        state: &State,
        rendered: &BTreeMap<String, RenderedWorkload>,
        agents: &BTreeMap<String, AgentAttributes>,
    ) -> BTreeMap<String, String> {
        let mut load: BTreeMap<String, usize> = BTreeMap::new();
        let mut placements = BTreeMap::new();
        let mut open = Vec::new();
        for (name, r) in rendered {
            let selector = &state.workloads[name].node_selector;
            if !r.agent.is_empty() {
                *load.entry(r.agent.clone()).or_default() += 1;
            } else if selector.is_empty() {
                continue;
            } else if let Some(agent) = self.placements.get(name).filter(|agent| {
                agents
                    .get(*agent)
                    .is_none_or(|a| schedule::matches(selector, &a.tags))
            }) {
                *load.entry(agent.clone()).or_default() += 1;
                placements.insert(name.clone(), agent.clone());
            } else {
                open.push(name);
            }
        }
        for name in open {
            let selector = &state.workloads[name].node_selector;
            if let Some(agent) = schedule::pick(selector, agents, &load) {
                *load.entry(agent.clone()).or_default() += 1;
                placements.insert(name.clone(), agent);
            }
        }
        placements
    }

    /// Makes a plan the current state.
    pub fn apply(&mut self, plan: Plan) {
        self.state = plan.state;
        self.instances = plan.instances;
        self.placements = plan.placements;
    }

    /// The effective state (Ankaios 1.1 `effectiveState`): each workload as it is run, with
    /// its templates rendered, on the agent it was placed on, without `configs`.
    pub fn effective(&self) -> State {
        let workloads = self
            .instances
            .iter()
            .map(|(name, i)| (name.clone(), i.effective()))
            .collect();
        State {
            api_version: self.state.api_version.clone(),
            workloads,
            configs: BTreeMap::new(),
        }
    }

    /// The instances an agent runs.
    pub fn instances_of<'a>(&'a self, agent: &'a str) -> impl Iterator<Item = &'a Instance> + 'a {
        self.instances
            .values()
            .filter(move |i| i.agent() == Some(agent))
    }
}

/// Each workload's rendered templates, by name.
pub type Rendered = BTreeMap<String, RenderedWorkload>;

/// Validates `state` and renders its workloads within one budget of `limits`: the costly, pure
/// part of planning, which may run off the actor.
pub fn render_state(state: &State, limits: StateLimits) -> Result<Rendered, UpdateError> {
    if let Err(errors) = ank_model::validate::validate_state_with(state, limits.render_limits()) {
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        return Err(UpdateError::Invalid(messages.join("; ")));
    }
    // One budget for the whole state: the work of an update is bounded, not only that of
    // each of its workloads.
    let renderer = Renderer::new(limits.render_limits());
    let mut rendered = BTreeMap::new();
    for (name, workload) in &state.workloads {
        let r = renderer
            .render_workload(workload, &state.configs)
            .map_err(|source| UpdateError::Render {
                workload: name.clone(),
                source,
            })?;
        rendered.insert(name.clone(), r);
    }
    Ok(rendered)
}

fn make_instance(
    name: &str,
    workload: Workload,
    rendered: RenderedWorkload,
    placement: Option<&String>,
) -> Instance {
    let agent = if rendered.agent.is_empty() {
        placement.cloned().unwrap_or_default()
    } else {
        rendered.agent.clone()
    };
    let unscheduled = if !agent.is_empty() {
        None
    } else if workload.node_selector.is_empty() {
        Some(ExecutionState::new(ExecState::NotScheduled))
    } else {
        Some(ExecutionState::with_info(
            ExecState::Pending(Pending::Initial),
            schedule::no_match_reason(&workload.node_selector),
        ))
    };
    Instance {
        name: WorkloadInstanceName::new(name, &agent, &rendered.runtime_config),
        workload,
        rendered,
        unscheduled,
    }
}

/// Checks a startup manifest as an update of the empty state would be checked.
pub fn validate_startup(state: &State, limits: StateLimits) -> Result<(), UpdateError> {
    let desired = Desired {
        limits,
        ..Desired::default()
    };
    desired.plan(state.clone(), &BTreeMap::new()).map(drop)
}

#[cfg(test)]
mod tests;
