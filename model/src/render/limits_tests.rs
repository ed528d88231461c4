//! The bounds on rendering: work, output, partials; and that bounded rendering renders what
//! plain Handlebars renders.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::*;
use crate::validate::validate_state;
use crate::State;

fn workload(yaml: &str) -> Workload {
    serde_yaml_ng::from_str(yaml).expect("test workload parses")
}

/// `list: [0, 1, …, n-1]` and `port: {p: '8081'}`.
fn configs(n: usize) -> BTreeMap<String, ConfigItem> {
    let items: Vec<String> = (0..n).map(|i| format!("'{i}'")).collect();
    serde_yaml_ng::from_str(&format!(
        "list: [{}]\nport: {{p: '8081'}}\n",
        items.join(", ")
    ))
    .expect("test configs parse")
}

/// The pathological template of issue 13: each inside each inside each over 1 000 items.
const NESTED: &str = "{{#each l}}{{#each @root.l}}{{#each @root.l}}x{{/each}}{{/each}}{{/each}}";

fn templated(runtime_config: &str) -> Workload {
    let yaml =
        serde_json::json!({"configs": {"l": "list", "p": "port"}, "runtimeConfig": runtime_config});
    workload(&yaml.to_string())
}

#[test]
fn nested_each_over_a_thousand_items_stops_fast_on_the_step_budget() {
    let started = Instant::now();
    let err = render_workload(&templated(NESTED), &configs(1000)).expect_err("over budget");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.exceeded, Some(Exceeded::Steps(DEFAULT_MAX_STEPS)));
    assert_eq!(err.field.to_string(), "runtimeConfig");
    assert!(err.message.contains("100000 steps"), "{err}");
}

#[test]
fn an_empty_body_still_costs_a_step_per_iteration() {
    let limits = RenderLimits {
        max_steps: 999,
        ..RenderLimits::default()
    };
    let w = templated("{{#each l}}{{/each}}");
    let err = Renderer::new(limits)
        .render_workload(&w, &configs(1000))
        .expect_err("1 000 iterations");
    assert_eq!(err.exceeded, Some(Exceeded::Steps(999)));
    let limits = RenderLimits {
        max_steps: 1000,
        ..limits
    };
    Renderer::new(limits)
        .render_workload(&w, &configs(1000))
        .expect("exactly within the budget");
}

#[test]
fn one_renderer_shares_its_budget_across_workloads() {
    let limits = RenderLimits {
        max_steps: 1500,
        ..RenderLimits::default()
    };
    let renderer = Renderer::new(limits);
    let w = templated("{{#each l}}{{this}}{{/each}}");
    renderer
        .render_workload(&w, &configs(1000))
        .expect("first fits");
    let err = renderer
        .render_workload(&w, &configs(1000))
        .expect_err("second passes the shared budget");
    assert_eq!(err.exceeded, Some(Exceeded::Steps(1500)));
}

#[test]
fn output_past_the_cap_is_refused_naming_the_field() {
    let limits = RenderLimits {
        max_output_bytes: 1000,
        ..RenderLimits::default()
    };
    let w = workload(
        "configs: {l: list}\nruntimeConfig: ok\n\
         files: [{mountPoint: /a, data: '{{#each l}}{{this}},{{/each}}'}]\n",
    );
    let err = Renderer::new(limits)
        .render_workload(&w, &configs(1000))
        .expect_err("about 3.9 KB of output");
    assert_eq!(err.exceeded, Some(Exceeded::Output(1000)));
    assert_eq!(err.field.to_string(), "files[0].data");
    assert!(err.message.contains("1000 bytes"), "{err}");
    let small = Renderer::new(limits)
        .render_workload(&w, &configs(10))
        .expect("20 bytes fit");
    assert_eq!(small.files[0].data.as_deref(), Some("0,1,2,3,4,5,6,7,8,9,"));
}

#[test]
fn all_output_of_one_renderer_is_capped_in_total() {
    let limits = RenderLimits {
        max_output_bytes: 4000,
        max_total_output_bytes: 5000,
        ..RenderLimits::default()
    };
    let renderer = Renderer::new(limits);
    let w = templated("{{#each l}}{{this}},{{/each}}");
    // 3 890 bytes each: the first fits, the second passes the total.
    renderer
        .render_workload(&w, &configs(1000))
        .expect("first fits");
    let err = renderer
        .render_workload(&w, &configs(1000))
        .expect_err("the total is over");
    assert_eq!(err.exceeded, Some(Exceeded::TotalOutput(5000)));
}

#[test]
fn partials_and_decorators_are_refused_before_rendering() {
    for template in [
        "{{#*inline \"p\"}}{{> p}}{{/inline}}{{> p}}",
        "{{> missing}}",
        "{{#> layout}}x{{/layout}}",
        "{{#each l}}{{> p}}{{/each}}",
    ] {
        let err = render_workload(&templated(template), &configs(3)).expect_err(template);
        assert!(err.message.contains("partials"), "{template}: {err}");
        assert_eq!(err.exceeded, None);
    }
}

#[test]
fn bounded_rendering_renders_what_plain_handlebars_renders() {
    let mut plain = Handlebars::new();
    plain.set_strict_mode(true);
    plain.register_escape_fn(handlebars::no_escape);
    let configs = configs(4);
    let data = serde_json::json!({"l": ["0", "1", "2", "3"], "p": {"p": "8081"}});
    for template in [
        "port: {{p.p}}",
        "{{#each l}}{{@index}}:{{this}}{{#if @first}} first{{/if}}{{#unless @last}},{{/unless}}{{/each}}",
        "{{#each p}}{{@key}}={{this}}{{/each}}",
        "{{#if p.p}}yes{{else}}no{{/if}}",
        "{{#each l as |v i|}}{{i}}{{v}} {{/each}}",
        "{{#with p}}{{p}}{{/with}}",
        "a\n  {{#each l}}\n  - {{this}}\n  {{/each}}\nb",
        "{{~#each l~}} {{this}} {{~/each~}}",
        "{{lookup l 2}} {{{p.p}}} {{!comment}} \\{{literal}}",
        "{{#each l}}{{#each @root.l}}{{../this}}{{this}} {{/each}}{{/each}}",
    ] {
        let expected = plain.render_template(template, &data).expect(template);
        let rendered = render_workload(&templated(template), &configs).expect(template);
        assert_eq!(rendered.runtime_config, expected, "{template}");
    }
}

#[test]
fn validation_names_the_workload_over_the_budget() {
    let mut state = State {
        configs: configs(1000),
        ..State::default()
    };
    let mut w = templated(NESTED);
    w.agent = "agent_A".to_owned();
    w.runtime = "podman".to_owned();
    state.workloads.insert("big".to_owned(), w);
    let started = Instant::now();
    let errors = validate_state(&state).expect_err("over budget");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|e| e.starts_with("workloads.big.runtimeConfig") && e.contains("steps")),
        "{shown:?}"
    );
}
