use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use proptest::prelude::*;

use super::*;

fn saved(workloads: usize) -> Saved {
    let mut yaml = String::from("apiVersion: v1\nworkloads:\n");
    for i in 0..workloads {
        yaml.push_str(&format!(
            "  w{i}:\n    agent: agent_{}\n    runtime: native\n    restartPolicy: ALWAYS\n    \
             tags: {{owner: team}}\n    runtimeConfig: 'command: [\"sleep\", \"{i}\"]'\n",
            i % 10
        ));
    }
    yaml.push_str("configs:\n  port: {web: '8081'}\n");
    Saved {
        desired_state: serde_yaml_ng::from_str(&yaml).expect("manifest"),
        placements: [("w0".to_owned(), "agent_0".to_owned())].into(),
    }
}

fn enc(s: &Saved) -> Vec<u8> {
    encode(&s.desired_state, &s.placements).expect("encodes")
}

fn put(path: &Path, s: &Saved) -> Result<(), StateFileError> {
    store(path, &s.desired_state, &s.placements)
}

fn bytes() -> Vec<u8> {
    enc(&saved(3))
}

#[test]
fn round_trip() {
    let s = saved(3);
    assert_eq!(decode(&enc(&s)), Ok(s));
    let empty = Saved::default();
    assert!(empty.is_empty());
    assert_eq!(decode(&enc(&empty)), Ok(empty));
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(decode(b""), Err(FormatError::Empty));
}

#[test]
fn a_truncated_file_is_refused() {
    let b = bytes();
    let err = decode(&b[..b.len() - 1]).expect_err("torn");
    assert!(matches!(err, FormatError::Length { .. }), "{err}");
    assert!(err.to_string().contains("torn"), "{err}");
    // Torn inside the header: no newline at all.
    assert_eq!(decode(&b[..20]), Err(FormatError::NoHeader));
}

#[test]
fn a_flipped_byte_is_refused() {
    let b = bytes();
    let header = b.iter().position(|&c| c == b'\n').expect("header") + 1;
    for at in [header, header + 10, b.len() - 1] {
        let mut flipped = b.clone();
        flipped[at] ^= 0x01;
        assert_eq!(decode(&flipped), Err(FormatError::Checksum), "byte {at}");
    }
}

#[test]
fn a_wrong_header_is_refused() {
    let b = bytes();
    let payload = &b[b.iter().position(|&c| c == b'\n').expect("header") + 1..];
    let with = |header: &str| [header.as_bytes(), b"\n", payload].concat();
    assert_eq!(decode(&with("apiVersion: v1")), Err(FormatError::Magic));
    let v2 = decode(&with("ANCHORAGE-STATE v2 1 x")).expect_err("v2");
    assert!(v2.to_string().contains("'v2'"), "{v2}");
    assert!(matches!(
        decode(&with("ANCHORAGE-STATE v1 12x 00")),
        Err(FormatError::Header("no payload length"))
    ));
    let len = payload.len();
    assert!(matches!(
        decode(&with(&format!("ANCHORAGE-STATE v1 {len} abc"))),
        Err(FormatError::Header("no SHA-256"))
    ));
    // A valid checksum over a payload that is not a state.
    let other = b"{\"x\":1}";
    let digest = hex(&Sha256::digest(other));
    let file = [format!("{MAGIC} {VERSION} 7 {digest}\n").as_bytes(), other].concat();
    assert!(matches!(decode(&file), Err(FormatError::Payload(_))));
}

#[test]
fn store_then_load_and_replace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    assert!(load(&path).expect("no file yet").is_none());
    put(&path, &saved(2)).expect("writes");
    put(&path, &saved(3)).expect("replaces");
    assert_eq!(load(&path).expect("loads"), Some(saved(3)));
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Nothing but the state file is left in the folder.
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn leftovers_of_a_killed_write_are_removed_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    put(&path, &saved(1)).expect("writes");
    std::fs::write(dir.path().join(".state.4242.0.tmp"), b"ANCHORAGE-STATE v1").expect("torn");
    std::fs::write(dir.path().join(".other.1.0.tmp"), b"x").expect("someone else's");
    remove_leftovers(&path);
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".other.1.0.tmp", "state"]);
}

#[test]
fn a_corrupt_file_names_itself_and_the_way_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    let mut b = bytes();
    b.truncate(b.len() / 2);
    std::fs::write(&path, b).expect("write");
    let err = load(&path).expect_err("corrupt").to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(
        err.contains("torn") && err.contains("Move it away"),
        "{err}"
    );
}

#[test]
fn a_failed_write_keeps_the_old_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    put(&path, &saved(1)).expect("writes");
    let gone = dir.path().join("gone").join("state");
    let err = put(&gone, &saved(2)).expect_err("no folder").to_string();
    assert!(err.contains("cannot write state file"), "{err}");
    assert_eq!(load(&path).expect("loads"), Some(saved(1)));
}

#[test]
fn a_file_over_its_bound_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    // Sparse: 64 GiB that would take minutes and all memory to read.
    let file = File::create(&path).expect("create");
    file.set_len(64 << 30).expect("sparse length");
    let started = Instant::now();
    let err = load(&path).expect_err("over the bound");
    assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    assert!(
        matches!(err, StateFileError::TooLarge { size, limit, .. }
            if size == 64 << 30 && limit == DEFAULT_MAX_FILE_BYTES),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("64 GiB") && text.contains("16 MiB"), "{text}");
}

#[test]
fn a_state_over_the_bound_is_not_written_and_the_old_file_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    put(&path, &saved(1)).expect("writes");
    let big = saved(1000);
    let size = enc(&big).len() as u64;
    let err = store_within(&path, &big.desired_state, &big.placements, size - 1)
        .expect_err("one byte over");
    assert!(matches!(err, StateFileError::TooLarge { .. }), "{err}");
    assert_eq!(load(&path).expect("loads"), Some(saved(1)));
    store_within(&path, &big.desired_state, &big.placements, size).expect("exactly fits");
    assert_eq!(load_within(&path, size).expect("loads"), Some(big));
    assert!(load_within(&path, size - 1).is_err());
}

/// Prints what an atomic write of 1 000 workloads costs on this disk (not asserted):
/// `cargo test -p apiserver --lib write_time -- --nocapture`.
#[test]
fn write_time_of_a_thousand_workloads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    let s = saved(1000);
    let size = enc(&s).len();
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        put(&path, &s).expect("writes");
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "state file of 1000 workloads ({size} bytes): p50 {:?}, max {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_never_load(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(decode(&b).is_err());
    }

    #[test]
    fn any_single_corruption_is_refused(at in 0usize..10_000, bit in 0u8..8) {
        let mut b = bytes();
        let at = at % b.len();
        b[at] ^= 1 << bit;
        prop_assert!(decode(&b).is_err());
    }
}
