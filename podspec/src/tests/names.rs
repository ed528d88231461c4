//! Names that look like path syntax (`a[]]`, dots, quotes, control characters): once parsed
//! back from a path string and panicked on; now shown quoted and located from the segments.

use expect_test::expect;

use super::*;

#[test]
fn a_bracketed_workload_name_is_a_finding_not_a_panic() {
    check(
        "apiVersion: v1\nworkloads:\n  \"a[]]\":\n    runtime: native\n    agent: a\n    runtimeConfig: \"command: [sleep, '1']\"\n",
        expect![[r#"
            doc0 AnkaiosManifest -
              Error ankaios-validation workloads["a[]]"] @3:3: invalid workload name 'a[]]': use only [a-zA-Z0-9_-]
        "#]],
    );
}

#[test]
fn odd_config_keys_and_aliases_are_located() {
    check(
        "apiVersion: v1\nconfigs:\n  \"x.y\": v\n  \"q\\\"\\n\": v\nworkloads:\n  w:\n    runtime: native\n    agent: a\n    runtimeConfig: \"command: [sleep, '1']\"\n    configs:\n      \"[0]\": nope\n",
        expect![[r#"
            doc0 AnkaiosManifest -
              Error ankaios-validation configs["q\"\n"] @4:3: invalid config key 'q"\n': use only [a-zA-Z0-9_-]
              Error ankaios-validation configs[x.y] @3:3: invalid config key 'x.y': use only [a-zA-Z0-9_-]
              Error ankaios-validation workloads.w.configs["[0]"] @11:7: invalid config alias '[0]': use only [a-zA-Z0-9_-]
              Error ankaios-validation workloads.w.configs["[0]"] @11:7: config alias '[0]' refers to config key 'nope', which does not exist
        "#]],
    );
}
