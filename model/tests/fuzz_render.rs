//! Fuzzing templates through `render`'s public API: arbitrary template text (handlebars syntax
//! mixed with hostile text) over config values with hostile keys and values, nested deep. It
//! never panics; a template that does not render is an error, and `validate_state` reports it
//! under the workload's own path. Inputs stay small (short lists, few nested `each`) since the
//! renderer itself sets no output limit.

#[path = "support/hostile.rs"]
mod hostile;

use std::collections::BTreeMap;

use ank_model::field_path::PathSeg;
use ank_model::render::render_workload;
use ank_model::validate::validate_state;
use ank_model::{ConfigItem, File, State, Workload};
use proptest::prelude::*;

/// Config values: strings, short lists and maps with hostile keys, a few levels deep.
fn item() -> impl Strategy<Value = ConfigItem> {
    let leaf = hostile::name().prop_map(ConfigItem::String);
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(ConfigItem::Array),
            prop::collection::btree_map(hostile::name(), inner, 0..3).prop_map(ConfigItem::Object),
        ]
    })
}

/// Template text: handlebars expressions over the aliases `a` and `b`, hostile text between.
fn template() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec![
            "{{a}}", "{{b}}", "{{{a}}}", "{{a.x}}", "{{a.[0]}}", "{{a.[x.y]}}", "{{this}}",
            "{{@index}}", "{{@key}}", "{{../a}}", "{{#each a}}", "{{#each b}}", "{{/each}}",
            "{{#if a}}", "{{else}}", "{{/if}}", "{{#with b}}", "{{/with}}", "{{#unless a}}",
            "{{/unless}}", "{{lookup a 'x'}}", "{{> p}}", "{{!c}}", "{{~a~}}", "\\{{a}}", "{{",
            "}}", "{{#", "{{/", "{{a b c}}", "{{len a}}", "{{#each a as |v k|}}{{k}}{{/each}}",
            "{{#*inline \"p\"}}x{{/inline}}", "{{json a}}", "{{eq a b}}",
        ]).prop_map(str::to_owned),
        2 => hostile::name(),
    ];
    prop::collection::vec(piece, 0..10).prop_map(|p| p.concat())
}

/// A workload named `name` whose aliases `a` and `b` (and a hostile alias) point at configs.
fn workload(template: &str, alias: &str) -> Workload {
    Workload {
        agent: "agent_A".into(),
        runtime: "native".into(),
        runtime_config: template.into(),
        configs: [("a", "ca"), ("b", "cb"), (alias, "ca")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        files: vec![File {
            mount_point: "/f".into(),
            data: Some(template.into()),
            binary_data: None,
        }],
        ..Workload::default()
    }
}

proptest! {
    #![proptest_config(hostile::config(128))]

    #[test]
    fn templates_render_or_fail_naming_the_workload(
        template in template(),
        a in item(),
        b in item(),
        alias in hostile::name(),
        name in hostile::name(),
    ) {
        let configs: BTreeMap<String, ConfigItem> =
            [("ca".to_owned(), a), ("cb".to_owned(), b)].into();
        let w = workload(&template, &alias);
        let rendered = render_workload(&w, &configs);
        let state = State {
            workloads: [(name.clone(), w)].into(),
            configs,
            ..State::default()
        };
        let errors = validate_state(&state).err().unwrap_or_default();
        if let Err(e) = rendered {
            prop_assert!(!e.message.is_empty());
            // validate_state reports the same failure under `workloads.<name>`.
            let named = errors.iter().any(|v| {
                v.path.segments().get(..2)
                    == Some(&[PathSeg::Key("workloads".into()), PathSeg::Key(name.clone())][..])
                    && v.message == e.message
            });
            prop_assert!(named, "{e} is not reported under the workload: {errors:?}");
        }
    }

    #[test]
    fn arbitrary_text_as_a_template_never_panics(text in hostile::text(), value in item()) {
        let configs: BTreeMap<String, ConfigItem> =
            [("ca".to_owned(), value.clone()), ("cb".to_owned(), value)].into();
        let _ = render_workload(&workload(&text, "c"), &configs);
    }
}

/// A value nested as deep as the YAML and protobuf readers allow (128 and 100 levels) renders.
#[test]
fn deeply_nested_config_values_render() {
    let mut deep = ConfigItem::String("bottom".into());
    for i in 0..120 {
        deep = if i % 2 == 0 {
            ConfigItem::Array(vec![deep])
        } else {
            ConfigItem::Object([("k".to_owned(), deep)].into())
        };
    }
    let configs: BTreeMap<String, ConfigItem> =
        [("ca".to_owned(), deep.clone()), ("cb".to_owned(), deep)].into();
    let rendered = render_workload(&workload("{{#each a}}{{@index}}{{/each}}", "c"), &configs);
    assert_eq!(rendered.expect("renders").runtime_config, "0");
}
