//! Finding the node's containment mechanism from `/proc/self/mountinfo` and
//! `/proc/self/cgroup`, then proving it usable by creating `<own cgroup>/ankaios`.

use std::path::{Path, PathBuf};

use super::{Containment, Kind};

/// Which mechanisms detection may choose (`ANK_CONTAINMENT`: `cgroup2`, `cgroup1`,
/// `subreaper`; anything else or unset: the first that works, in that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    /// v2, then v1, then the subreaper.
    Auto,
    /// Only cgroup v2 (else the subreaper).
    V2,
    /// Only cgroup v1 (else the subreaper).
    V1,
    /// The subreaper.
    Subreaper,
}

impl Preference {
    fn from_env() -> Self {
        match std::env::var("ANK_CONTAINMENT").as_deref() {
            Ok("cgroup2") => Preference::V2,
            Ok("cgroup1") => Preference::V1,
            Ok("subreaper") => Preference::Subreaper,
            _ => Preference::Auto,
        }
    }
}

/// The mechanism of this node, as [`detect_in`] finds it below `/`.
pub fn detect() -> Containment {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    detect_in(
        Path::new("/"),
        &read("/proc/self/mountinfo"),
        &read("/proc/self/cgroup"),
        Preference::from_env(),
    )
}

/// Detection with the file system rooted at `root` (a fake tree in tests): cgroup v2 if its
/// mount has our cgroup and `ankaios` can be created in it, else the v1 `freezer` or `pids`
/// hierarchy likewise, else the subreaper.
pub fn detect_in(root: &Path, mountinfo: &str, cgroup: &str, prefer: Preference) -> Containment {
    let mounts = parse_mounts(mountinfo);
    let v2 = || {
        let mount = mounts.iter().find(|m| m.fstype == "cgroup2")?;
        let base = usable(root, mount, own_path(cgroup, |c| c.is_empty())?)?;
        let kill = base.join("cgroup.kill").exists();
        Some(Containment::Cgroups {
            base,
            kind: Kind::V2 { kill },
        })
    };
    let v1 = |controller: &str| {
        let mount = mounts
            .iter()
            .find(|m| m.fstype == "cgroup" && m.options.split(',').any(|o| o == controller))?;
        let path = own_path(cgroup, |c| c.split(',').any(|o| o == controller))?;
        Some(Containment::Cgroups {
            base: usable(root, mount, path)?,
            kind: Kind::V1 {
                freezer: controller == "freezer",
            },
        })
    };
    let found = match prefer {
        Preference::Auto => v2().or_else(|| v1("freezer")).or_else(|| v1("pids")),
        Preference::V2 => v2(),
        Preference::V1 => v1("freezer").or_else(|| v1("pids")),
        Preference::Subreaper => None,
    };
    found.unwrap_or(Containment::Subreaper)
}

/// A cgroup file system mount: where, which part of the hierarchy, its type and options.
struct Mount<'a> {
    point: &'a str,
    root: &'a str,
    fstype: &'a str,
    options: &'a str,
}

/// `<id> <parent> <dev> <root> <point> <opts> [optional…] - <fstype> <source> <super opts>`.
fn parse_mounts(text: &str) -> Vec<Mount<'_>> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split(' ').collect();
            let mut right = right.split(' ');
            let fstype = right.next()?;
            let options = right.nth(1)?;
            Some(Mount {
                root: left.get(3)?,
                point: left.get(4)?,
                fstype,
                options,
            })
        })
        .filter(|m| m.fstype == "cgroup" || m.fstype == "cgroup2")
        .collect()
}

/// Our cgroup in the hierarchy whose controller list matches: `<id>:<controllers>:<path>`.
fn own_path(text: &str, matches: impl Fn(&str) -> bool) -> Option<&str> {
    text.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        matches(controllers).then_some(path)
    })
}

/// `<root><mount point><own path, relative to the mount's root>/ankaios`, created, if it is
/// a cgroup we may write (its `cgroup.procs` is writable).
fn usable(root: &Path, mount: &Mount<'_>, own: &str) -> Option<PathBuf> {
    let own = match mount.root {
        "/" => own,
        prefix => own
            .strip_prefix(prefix)
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))?,
    };
    let mut dir = root.join(mount.point.trim_start_matches('/'));
    // Built from components: `..` in /proc/self/cgroup (a cgroup namespace) is not followed.
    for part in own.split('/').filter(|p| !p.is_empty()) {
        if part == ".." || part == "." {
            return None;
        }
        dir.push(part);
    }
    let base = dir.join("ankaios");
    match std::fs::create_dir(&base) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(_) => return None,
    }
    let procs = base.join("cgroup.procs");
    rustix::fs::access(&procs, rustix::fs::Access::WRITE_OK)
        .is_ok()
        .then_some(base)
}
