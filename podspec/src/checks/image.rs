//! Image references. oci-spec's parser is the authority, but it runs a capturing regex that
//! cost a quarter of all validation time, so the common shapes are recognised first by a byte
//! check that only ever says "surely valid" (a property test holds it to oci-spec); anything
//! else, including every invalid reference, still goes to oci-spec for the verdict and message.

/// The message for an image that is not a valid reference.
pub(crate) fn check(image: &str) -> Option<String> {
    if surely_valid(image) {
        return None;
    }
    let err = image.parse::<oci_spec::distribution::Reference>().err()?;
    let reason = err.to_string().to_lowercase();
    Some(format!(
        "image {image:?} is not a valid reference: {reason}"
    ))
}

/// `[domain[:port]/]path[/path…][:tag]` with short enough names and no digest. `false` means
/// "ask oci-spec", not "invalid".
fn surely_valid(image: &str) -> bool {
    // oci-spec limits the repository (the name without the domain, plus `library/` for Docker
    // Hub's own images) to 255 bytes; within 200 bytes for the whole name it always fits.
    if image.len() > 200 || image.contains('@') {
        return false;
    }
    let (name, tag) = match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (image, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) {
        return false;
    }
    let mut components = name.split('/');
    let first = components.next().unwrap_or_default();
    let more = first.len() < name.len();
    let first_ok = is_path_component(first) || (more && is_domain(first));
    first_ok && components.all(is_path_component)
}

/// `[\w][\w.-]{0,127}`.
fn is_tag(tag: &str) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let bytes = tag.as_bytes();
    bytes.len() <= 128
        && bytes.first().is_some_and(word)
        && bytes.iter().all(|b| word(b) || matches!(b, b'.' | b'-'))
}

/// `[a-z0-9]+` runs separated by `.`, `_`, `__` or any number of `-`.
fn is_path_component(component: &str) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    // Split at the alphanumerics, what is left are the separators (empty between two of them).
    bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes.split(alnum).all(|separator| {
            matches!(separator, b"" | b"." | b"_" | b"__") || separator.iter().all(|s| *s == b'-')
        })
}

/// Dot-separated labels of `[a-zA-Z0-9-]` that start and end alphanumeric, then an optional
/// `:port`.
fn is_domain(domain: &str) -> bool {
    let (host, port) = match domain.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    let label = |l: &str| {
        let bytes = l.as_bytes();
        bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    };
    host.split('.').all(label)
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{check, surely_valid};

    #[test]
    fn common_images_are_recognised_without_oci_spec() {
        for image in [
            "nginx",
            "nginx:1.27",
            "library/nginx:latest",
            "registry.example.com/team/web:1.2",
            "localhost:5000/a/b-c__d.e:v1.0-rc_1",
            "quay.io/prometheus/node-exporter:v1.8.2",
            "ghcr.io/org/app---x:tag",
            "busybox:1.36",
        ] {
            assert!(surely_valid(image), "{image}");
            assert_eq!(check(image), None);
        }
    }

    #[test]
    fn everything_else_gets_oci_spec_s_verdict() {
        let digest = format!("nginx@sha256:{}", "a".repeat(64));
        assert!(!surely_valid(&digest));
        assert_eq!(check(&digest), None);
        for image in [
            "Nginx", "nginx:", "a//b", "-a", "a_-b", "a...b", "a/b:-x", "a:b:c",
        ] {
            assert!(!surely_valid(image), "{image}");
            let message = check(image).unwrap_or_else(|| panic!("{image} accepted"));
            assert!(message.contains("not a valid reference"), "{message}");
        }
        let long = format!("a/{}", "b".repeat(300));
        assert!(check(&long).is_some_and(|m| m.contains("not be more than 255")));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the byte check calls valid, oci-spec parses.
        #[test]
        fn surely_valid_images_are_valid(image in "[a-cA-B0-9._:/@-]{1,24}|[a-z0-9.]{1,12}(:[0-9]{1,5})?(/[a-z0-9._-]{1,10}){0,3}(:[a-zA-Z0-9_.-]{1,8})?") {
            if surely_valid(&image) {
                prop_assert!(image.parse::<oci_spec::distribution::Reference>().is_ok(), "{}", image);
            }
        }
    }
}
