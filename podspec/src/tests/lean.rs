//! The lean reader against saphyr's: wherever the lean reader reads a file, it must give the
//! same events, document by document, as the saphyr path (which the `fast` tests hold to
//! libyaml). Files it gives up on are fine: they take the saphyr path.

use proptest::prelude::*;

use crate::parse::events_of;

/// Odd corners of the subset the lean reader knows (it must read every one of them); the
/// proptest also mutates the in-subset manifests of the `fast` tests.
const SEEDS: &[&str] = &["apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels:
    'tier': \"front end\"
  annotations: {a.b/c: 'it''s', d: \"x\\\"y\\\\z\\n\", e: ~, f: 1.5, g: [1, -2, 0x1f]}
spec:
  nodeName: agent_1   # where it runs
  containers:
    - name: app
      command: [/bin/web, 'a b', {}, [], {x: [y, {z: w}]}, {a: b,}]
      args:
      -
      - -x
      - - nested
        - seq
      -   spaced: out
          more: 2
      stdin:
      ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81,}]
---
# a comment before the document
apiVersion: v1
kind: ConfigMap
data:
  script: |
    #!/bin/sh

    echo hi   
      indented
  stripped: |-
    one
    two

  plain: http://example.com/a#b
  after: 'x' # comment
---
---
- a
-
- b: c
  d:
- - e
"];

/// The seeds the proptest mutates: ours, and the `fast` tests' that the lean reader reads.
fn seeds() -> Vec<&'static str> {
    let theirs = super::fast::SEEDS.iter().copied();
    let read = theirs.filter(|seed| events_of(seed, true).is_some());
    SEEDS.iter().copied().chain(read).collect()
}

fn assert_same(text: &str) {
    if let Some(lean) = events_of(text, true) {
        let saphyr = events_of(text, false);
        assert_eq!(Some(&lean), saphyr.as_ref(), "events differ for {text:?}");
    }
}

#[test]
fn the_lean_reader_reads_its_seeds_as_saphyr_does() {
    for seed in SEEDS {
        assert!(events_of(seed, true).is_some(), "not read: {seed:?}");
        assert_same(seed);
    }
    assert_same(&SEEDS.concat());
    // The end-to-end comparison with libyaml in `fast` covers this reader through its seeds.
    assert!(
        seeds().len() >= 3,
        "the lean reader reads too few of the `fast` seeds"
    );
}

#[test]
fn the_lean_reader_leaves_the_rest_of_yaml_to_saphyr() {
    for text in [
        "a: &x 1\n",
        "a: !!str 1\n",
        "a: >\n  folded\n",
        "a: |+\n  kept\n",
        "a: plain\n  over lines\n",
        "a: 'quoted\n  over lines'\n",
        "a: [1,\n  2]\n",
        "...\n",
        "%YAML 1.2\n---\na: 1\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: caf\u{e9}\n",
        "? a\n: b\n",
        "a: b: c\n",
        "- a\nb: c\n",
        "scalar\n",
        "{a: b}\n",
        "a:\n  - b\n  c: d\n",
        "a: {b: }\n",
        "a: {\"b\":1}\n",
        "a: x:[y]\n",
        "---x\n",
    ] {
        assert!(events_of(text, true).is_none(), "read: {text:?}");
    }
}

use super::support::mutate;

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_manifests_give_the_same_events(
        seed in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), prop::sample::select(vec![
            ' ', ' ', ' ', '\n', '\n', ':', '-', '-', '[', ']', '{', '}', ',', '\'', '"', '#', 'a',
            '0', '.', '|', '>', '?', '~', '\\', '/',
        ])), 1..5),
    ) {
        let seeds = seeds();
        assert_same(&mutate(seeds[seed.index(seeds.len())], &edits));
    }
}
