//! What one render may cost: [`RenderLimits`] (documented defaults), the step [`Budget`]
//! shared by every template of one render, the `__step` helper that charges it and the
//! [`CappedOutput`] that refuses output past the cap. Handlebars has no budget of its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};

/// The default cap on one rendered field (`runtimeConfig`, `agent`, one file's data): 1 MiB.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// The default cap on all output of one [`super::Renderer`] (one update): 2 MiB, the server's
/// default `--max-state-size`, which a larger rendered state could not pass anyway.
pub const DEFAULT_MAX_TOTAL_OUTPUT_BYTES: usize = 2 * 1024 * 1024;
/// The default step budget of one render: every block body rendered (each `#each`
/// iteration, each `#if` branch taken) is one step.
pub const DEFAULT_MAX_STEPS: u64 = 100_000;

/// The bounds on rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderLimits {
    /// The longest output of one rendered field, in bytes.
    pub max_output_bytes: usize,
    /// The output of all fields rendered with one [`super::Renderer`], in bytes.
    pub max_total_output_bytes: usize,
    /// The step budget shared by all templates rendered with one [`super::Renderer`].
    pub max_steps: u64,
}

impl Default for RenderLimits {
    fn default() -> Self {
        RenderLimits {
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_total_output_bytes: DEFAULT_MAX_TOTAL_OUTPUT_BYTES,
            max_steps: DEFAULT_MAX_STEPS,
        }
    }
}

/// Which limit a render ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// The field's output passed [`RenderLimits::max_output_bytes`].
    Output(usize),
    /// All output together passed [`RenderLimits::max_total_output_bytes`].
    TotalOutput(usize),
    /// The render passed [`RenderLimits::max_steps`].
    Steps(u64),
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exceeded::Output(max) => write!(f, "rendered output over the limit of {max} bytes"),
            Exceeded::TotalOutput(max) => write!(
                f,
                "rendered output of all templates over the limit of {max} bytes"
            ),
            Exceeded::Steps(max) => write!(
                f,
                "template work over the limit of {max} steps (each block or iteration rendered is one)"
            ),
        }
    }
}

/// Steps and output used so far; shared (through an `Arc`) by the `__step` helper, the
/// outputs and the renderer.
#[derive(Debug)]
pub(crate) struct Budget {
    used: AtomicU64,
    max: u64,
    output: AtomicU64,
    max_output: usize,
}

impl Budget {
    pub(crate) fn new(limits: &RenderLimits) -> Arc<Self> {
        Arc::new(Budget {
            used: AtomicU64::new(0),
            max: limits.max_steps,
            output: AtomicU64::new(0),
            max_output: limits.max_total_output_bytes,
        })
    }

    /// Charges `bytes` of output; an error once the total is over.
    fn charge_output(&self, bytes: usize) -> Result<(), Exceeded> {
        let bytes = bytes as u64;
        let total = self
            .output
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes);
        if total > self.max_output as u64 {
            Err(Exceeded::TotalOutput(self.max_output))
        } else {
            Ok(())
        }
    }

    /// Charges one step; an error once the budget is spent.
    fn charge(&self) -> Result<(), Exceeded> {
        let used = self.used.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        if used > self.max {
            Err(Exceeded::Steps(self.max))
        } else {
            Ok(())
        }
    }

    /// Whether the budget was overrun: how a failed render learns why it failed.
    pub(crate) fn exceeded(&self) -> Option<Exceeded> {
        if self.used.load(Ordering::Relaxed) > self.max {
            return Some(Exceeded::Steps(self.max));
        }
        (self.output.load(Ordering::Relaxed) > self.max_output as u64)
            .then_some(Exceeded::TotalOutput(self.max_output))
    }
}

/// The name of the helper injected at the start of every block body (see `guard.rs`); the
/// leading underscores keep it out of the way of config aliases, which are `[a-zA-Z0-9_-]+`
/// but resolve as data, not helpers, only when no helper has their name.
pub(crate) const STEP_HELPER: &str = "__anchorage_step";

/// Charges one step each time it is rendered; writes nothing.
pub(crate) struct StepHelper(pub(crate) Arc<Budget>);

impl HelperDef for StepHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        _: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        _: &mut dyn Output,
    ) -> HelperResult {
        self.0
            .charge()
            .map_err(|e| RenderErrorReason::Other(e.to_string()).into())
    }
}

/// A string output that refuses to grow past `max` bytes, nor the budget's total output.
pub(crate) struct CappedOutput {
    buf: String,
    max: usize,
    overflowed: bool,
    budget: Arc<Budget>,
}

impl CappedOutput {
    pub(crate) fn new(max: usize, budget: Arc<Budget>) -> Self {
        CappedOutput {
            buf: String::new(),
            max,
            overflowed: false,
            budget,
        }
    }

    /// Whether a write was refused: how a failed render learns why it failed.
    pub(crate) fn exceeded(&self) -> Option<Exceeded> {
        self.overflowed.then_some(Exceeded::Output(self.max))
    }

    pub(crate) fn into_string(self) -> String {
        self.buf
    }
}

impl Output for CappedOutput {
    fn write(&mut self, seg: &str) -> std::io::Result<()> {
        if self.buf.len().saturating_add(seg.len()) > self.max {
            self.overflowed = true;
            return Err(std::io::Error::other(
                Exceeded::Output(self.max).to_string(),
            ));
        }
        self.budget
            .charge_output(seg.len())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.buf.push_str(seg);
        Ok(())
    }

    fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
        match args.as_str() {
            Some(s) => self.write(s),
            None => self.write(&args.to_string()),
        }
    }
}
