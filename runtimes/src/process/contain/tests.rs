//! Path building and detection against fake `/proc` texts and a fake cgroup tree in a tempdir.

use std::fs;
use std::path::Path;

use super::*;

const HYBRID: &str = "\
25 1 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw
30 25 0:27 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
31 25 0:28 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
";
const SELF: &str = "8:pids:/svc\n6:freezer:/svc\n0::/system.slice/agent.service\n";

/// A fake cgroup folder: what detection looks for is `cgroup.procs` in `<own>/ankaios`.
fn fake_cgroup(root: &Path, dir: &str, kill: bool) {
    let base = root.join(dir).join("ankaios");
    fs::create_dir_all(&base).expect("mkdir");
    fs::write(base.join("cgroup.procs"), "").expect("procs");
    if kill {
        fs::write(base.join("cgroup.kill"), "").expect("kill");
    }
}

#[test]
fn components_are_single_safe_names() {
    assert_eq!(component("web_1.0a9f"), Some("web_1.0a9f"));
    for bad in ["", ".", "..", "../x", "a/b", ".hidden", "a b", "ä"] {
        assert_eq!(component(bad), None, "{bad:?}");
    }
    assert_eq!(component(&"x".repeat(256)), None);
}

#[test]
fn an_instance_cgroup_is_below_the_agent_folder() {
    let c = Containment::Cgroups {
        base: "/cg/ankaios".into(),
        kind: Kind::V2 { kill: true },
    };
    let instance = WorkloadInstanceName::new("web", "agent_A", "cfg");
    let run = Path::new("/run/ank");
    let cgroup = c.cgroup(&instance, run).expect("cgroup");
    let folder = cgroup.path.parent().expect("agent folder");
    assert_eq!(folder.parent(), Some(Path::new("/cg/ankaios")));
    let agent = folder.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        agent.starts_with("agent_A.") && agent.len() == 8 + 16,
        "{agent}"
    );
    assert_eq!(cgroup.path, folder.join(instance.folder_name()));
    assert_eq!(c.cgroup(&instance, run), Some(cgroup.clone()), "stable");
    let dir = Path::new("/run/ank/agent_A_io").join(instance.folder_name());
    assert!(cgroup.is_for(&dir));
    assert!(!cgroup.is_for(Path::new("/run/ank/agent_A_io/other.00")));
    for bad in ["relative/x", "/cg/../x", "../x"] {
        let planted = Cgroup {
            path: Path::new(bad).join(instance.folder_name()),
            kind: cgroup.kind,
        };
        assert!(!planted.is_for(&dir), "{bad}");
    }
    let other = c
        .cgroup(&instance, Path::new("/run/other"))
        .expect("cgroup");
    assert_ne!(
        other.path.parent(),
        Some(folder),
        "another run folder, another folder"
    );
    let mut evil = instance.clone();
    evil.agent_name = "..".into();
    assert_eq!(c.cgroup(&evil, run), None);
    evil.agent_name = "a/../../etc".into();
    assert_eq!(c.cgroup(&evil, run), None);
    let mut evil = instance;
    evil.workload_name = "../x".into();
    assert_eq!(c.cgroup(&evil, run), None);
    assert_eq!(Containment::Subreaper.cgroup(&evil, run), None);
}

#[test]
fn v2_is_chosen_first_below_the_agents_own_cgroup() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fake_cgroup(
        tmp.path(),
        "sys/fs/cgroup/unified/system.slice/agent.service",
        true,
    );
    fake_cgroup(tmp.path(), "sys/fs/cgroup/freezer/svc", false);
    let found = detect_in(tmp.path(), HYBRID, SELF, Preference::Auto);
    let base = tmp
        .path()
        .join("sys/fs/cgroup/unified/system.slice/agent.service/ankaios");
    assert_eq!(
        found,
        Containment::Cgroups {
            base: base.clone(),
            kind: Kind::V2 { kill: true }
        }
    );
    assert!(
        found.describe().contains("cgroup.kill"),
        "{}",
        found.describe()
    );
    // Asked for v1: the freezer hierarchy.
    let found = detect_in(tmp.path(), HYBRID, SELF, Preference::V1);
    assert_eq!(
        found,
        Containment::Cgroups {
            base: tmp.path().join("sys/fs/cgroup/freezer/svc/ankaios"),
            kind: Kind::V1 { freezer: true }
        }
    );
    let found = detect_in(tmp.path(), HYBRID, SELF, Preference::Subreaper);
    assert_eq!(found, Containment::Subreaper);
}

#[test]
fn v1_pids_then_subreaper_when_nothing_is_usable() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // No cgroup.procs under unified nor freezer: not cgroups we can use.
    fs::create_dir_all(tmp.path().join("sys/fs/cgroup/unified/system.slice")).expect("mkdir");
    fake_cgroup(tmp.path(), "sys/fs/cgroup/pids/svc", false);
    let found = detect_in(tmp.path(), HYBRID, SELF, Preference::Auto);
    assert_eq!(
        found,
        Containment::Cgroups {
            base: tmp.path().join("sys/fs/cgroup/pids/svc/ankaios"),
            kind: Kind::V1 { freezer: false }
        }
    );
    let empty = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        detect_in(empty.path(), HYBRID, SELF, Preference::Auto),
        Containment::Subreaper
    );
    assert_eq!(
        detect_in(tmp.path(), "", "", Preference::Auto),
        Containment::Subreaper
    );
}

#[test]
fn a_namespaced_mount_root_is_stripped_and_dotdot_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fake_cgroup(tmp.path(), "sys/fs/cgroup/inner", false);
    let mounts = "26 25 0:23 /outer /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    let found = detect_in(tmp.path(), mounts, "0::/outer/inner\n", Preference::Auto);
    assert_eq!(
        found,
        Containment::Cgroups {
            base: tmp.path().join("sys/fs/cgroup/inner/ankaios"),
            kind: Kind::V2 { kill: false }
        }
    );
    let found = detect_in(
        tmp.path(),
        mounts,
        "0::/outer/../../etc\n",
        Preference::Auto,
    );
    assert_eq!(found, Containment::Subreaper);
}
