//! Handlebars rendering of a workload's `agent`, `runtimeConfig` and `files`, with the
//! workload's config aliases. A reference to a missing alias or key is an error, never an
//! empty string. As in Ankaios, a workload without config aliases is not rendered at all, so a
//! literal `{{` in its runtimeConfig stays as written. Every render is bounded
//! ([`RenderLimits`]): output per field and work (steps) per [`Renderer`].

mod budget;
mod guard;

use std::collections::BTreeMap;
use std::sync::Arc;

use handlebars::{Context, Handlebars, RenderContext, Renderable, Template};
use serde_json::Value;

pub use budget::{
    Exceeded, RenderLimits, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_STEPS,
    DEFAULT_MAX_TOTAL_OUTPUT_BYTES,
};

use crate::field_path::{FieldPath, Shown};
use crate::{ConfigItem, File, Workload};

use budget::{Budget, CappedOutput, StepHelper, STEP_HELPER};

/// A workload with its templates rendered: what an agent runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedWorkload {
    /// The rendered agent name (may be empty: not scheduled).
    pub agent: String,
    /// The rendered runtimeConfig.
    pub runtime_config: String,
    /// The files with rendered `data`/`binaryData`.
    pub files: Vec<File>,
}

/// A template that does not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RenderError {
    /// The field holding the template, relative to the workload (`runtimeConfig`,
    /// `files[0].data`, `agent`, `configs.x`).
    pub field: FieldPath,
    /// What went wrong, e.g. the missing reference.
    pub message: String,
    /// The limit the render ran into, if that is why it failed.
    pub exceeded: Option<Exceeded>,
}

/// Renders `workload`'s templates with its aliases resolved against the top-level `configs`,
/// within the default [`RenderLimits`].
pub fn render_workload(
    workload: &Workload,
    configs: &BTreeMap<String, ConfigItem>,
) -> Result<RenderedWorkload, RenderError> {
    Renderer::new(RenderLimits::default()).render_workload(workload, configs)
}

/// Renders templates within one step budget: use one per update, so the work of a whole
/// desired state is bounded, not only that of each workload.
pub struct Renderer {
    registry: Handlebars<'static>,
    budget: Arc<Budget>,
    limits: RenderLimits,
}

impl Renderer {
    /// A renderer with a fresh budget of `limits.max_steps` and `limits.max_total_output_bytes`.
    pub fn new(limits: RenderLimits) -> Self {
        let budget = Budget::new(&limits);
        let mut registry = Handlebars::new();
        // A missing reference must fail loudly, and values are YAML/text, not HTML.
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper(STEP_HELPER, Box::new(StepHelper(Arc::clone(&budget))));
        Renderer {
            registry,
            budget,
            limits,
        }
    }

    /// Renders `workload`'s templates with its aliases resolved against the top-level
    /// `configs`, charging this renderer's budget.
    pub fn render_workload(
        &self,
        workload: &Workload,
        configs: &BTreeMap<String, ConfigItem>,
    ) -> Result<RenderedWorkload, RenderError> {
        if workload.configs.is_empty() {
            return Ok(RenderedWorkload {
                agent: workload.agent.clone(),
                runtime_config: workload.runtime_config.clone(),
                files: workload.files.clone(),
            });
        }
        let context = context(workload, configs)?;
        let context = Context::wraps(&context).map_err(|e| RenderError {
            field: FieldPath::root().key("configs"),
            message: describe(&e),
            exceeded: None,
        })?;
        let render = |field: FieldPath, template: &str| self.render(field, template, &context);
        let mut files = Vec::with_capacity(workload.files.len());
        for (i, file) in workload.files.iter().enumerate() {
            let data = match &file.data {
                Some(d) => Some(render(file_field(i, "data"), d)?),
                None => None,
            };
            let binary_data = match &file.binary_data {
                Some(b) => Some(render(file_field(i, "binaryData"), b)?),
                None => None,
            };
            files.push(File {
                mount_point: file.mount_point.clone(),
                data,
                binary_data,
            });
        }
        Ok(RenderedWorkload {
            agent: render(FieldPath::root().key("agent"), &workload.agent)?,
            runtime_config: render(
                FieldPath::root().key("runtimeConfig"),
                &workload.runtime_config,
            )?,
            files,
        })
    }

    /// Renders one field's template into at most `max_output_bytes`.
    fn render(
        &self,
        field: FieldPath,
        template: &str,
        context: &Context,
    ) -> Result<String, RenderError> {
        let fail = |message: String, exceeded: Option<Exceeded>| RenderError {
            field: field.clone(),
            message,
            exceeded,
        };
        let compiled = Template::compile(template)
            .map_err(|e| fail(format!("invalid template: {}", e.reason()), None))?;
        let compiled = guard::prepare(compiled).map_err(|m| fail(m.to_owned(), None))?;
        let mut out = CappedOutput::new(self.limits.max_output_bytes, Arc::clone(&self.budget));
        let mut rc = RenderContext::new(None);
        match compiled.render(&self.registry, context, &mut rc, &mut out) {
            Ok(()) => Ok(out.into_string()),
            Err(e) => {
                // Which limit ran out is read from the budget and the output themselves,
                // never from the error's text.
                let exceeded = out.exceeded().or_else(|| self.budget.exceeded());
                let message = match exceeded {
                    Some(limit) => format!("rendering stopped: {limit}"),
                    None => describe(&e),
                };
                Err(fail(message, exceeded))
            }
        }
    }
}

/// `files[i].<leaf>`, relative to the workload.
fn file_field(i: usize, leaf: &str) -> FieldPath {
    FieldPath::root().key("files").index(i).key(leaf)
}

/// alias → config value, as the template sees it.
fn context(
    workload: &Workload,
    configs: &BTreeMap<String, ConfigItem>,
) -> Result<Value, RenderError> {
    let mut map = serde_json::Map::new();
    for (alias, key) in &workload.configs {
        let item = configs.get(key).ok_or_else(|| RenderError {
            field: FieldPath::root().key("configs").key(alias.as_str()),
            message: format!("config key '{}' does not exist", Shown(key)),
            exceeded: None,
        })?;
        let value = serde_json::to_value(item).map_err(|e| RenderError {
            field: FieldPath::root().key("configs").key(alias.as_str()),
            message: e.to_string(),
            exceeded: None,
        })?;
        map.insert(alias.clone(), value);
    }
    Ok(Value::Object(map))
}

/// Handlebars' message, without its template-name noise.
fn describe(error: &handlebars::RenderError) -> String {
    use handlebars::RenderErrorReason;
    match error.reason() {
        RenderErrorReason::MissingVariable(Some(path)) => {
            format!("template references '{path}', which does not exist")
        }
        RenderErrorReason::TemplateError(e) => format!("invalid template: {}", e.reason()),
        other => format!("template does not render: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(yaml: &str) -> Workload {
        serde_yaml_ng::from_str(yaml).expect("test workload parses")
    }

    fn configs() -> BTreeMap<String, ConfigItem> {
        serde_yaml_ng::from_str("web_port: {access_port: '8081'}\nnode: agent_B\nlist: [a, b]\n")
            .expect("test configs parse")
    }

    #[test]
    fn renders_agent_runtime_config_and_files() {
        let w = workload(
            "agent: '{{n}}'\nconfigs: {port: web_port, n: node, l: list}\n\
             runtimeConfig: 'p: {{port.access_port}}{{#each l}} {{this}}{{/each}}'\n\
             files: [{mountPoint: /a, data: 'x={{port.access_port}}'}]\n",
        );
        let r = render_workload(&w, &configs()).expect("renders");
        assert_eq!(r.agent, "agent_B");
        assert_eq!(r.runtime_config, "p: 8081 a b");
        assert_eq!(r.files[0].data.as_deref(), Some("x=8081"));
    }

    #[test]
    fn missing_key_is_an_error_naming_it() {
        let w = workload("configs: {port: web_port}\nruntimeConfig: '{{port.nope}}'\n");
        let err = render_workload(&w, &configs()).expect_err("missing key");
        assert_eq!(err.field.to_string(), "runtimeConfig");
        assert!(err.message.contains("port.nope"), "{err}");
    }

    #[test]
    fn missing_alias_target_is_an_error() {
        let w = workload("configs: {port: nowhere}\nruntimeConfig: x\n");
        let err = render_workload(&w, &configs()).expect_err("missing config");
        assert!(err.message.contains("nowhere"), "{err}");
    }

    #[test]
    fn without_aliases_nothing_is_rendered() {
        let w = workload("runtimeConfig: 'literal {{braces}}'\n");
        let r = render_workload(&w, &configs()).expect("renders");
        assert_eq!(r.runtime_config, "literal {{braces}}");
    }

    #[test]
    fn broken_template_syntax_is_an_error() {
        let w = workload("configs: {port: web_port}\nruntimeConfig: '{{#each port}'\n");
        let err = render_workload(&w, &configs()).expect_err("bad syntax");
        assert!(err.message.contains("invalid template"), "{err}");
    }

    #[test]
    fn template_errors_quote_no_runtime_config_text() {
        for config in [
            "'env: {PASS: s3cret}\n{{#each port}'",
            "'env: {PASS: s3cret}\n{{#each port}}{{/if}}'",
            "'env: {PASS: s3cret}\n{{port.nope}}'",
        ] {
            let w = workload(&format!(
                "configs: {{port: web_port}}\nruntimeConfig: {config}\n"
            ));
            let err = render_workload(&w, &configs()).expect_err("bad template");
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }
}

#[cfg(test)]
mod limits_tests;
