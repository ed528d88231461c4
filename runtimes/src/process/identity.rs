//! Who the pids in `pids` really are. A pid alone proves nothing (it may have been reused, or
//! the file planted), so the shim records its own and its workload's start time (field 22 of
//! `/proc/<pid>/stat`, clock ticks since boot) next to the pids, and a reader believes them
//! only when a pidfd of the shim shows that start time and the command line the runtime gave
//! it (`<program> <args…> <instance dir>`), and the workload leads its own process group with
//! its recorded start time. Anything else is "not ours": logged, never signalled.

use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid as NixPid;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::{Pid, PidfdFlags};

/// What `pids` holds: `<shim pid> <workload pid> <shim start> <workload start>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pids {
    /// The shim's pid.
    pub shim: i32,
    /// The workload's pid, also its process group id.
    pub workload: i32,
    /// The shim's start time (`/proc/<pid>/stat` field 22).
    pub shim_start: u64,
    /// The workload's start time.
    pub workload_start: u64,
}

impl Pids {
    /// Parses the file's text; the two-field format of older agents is not believed.
    pub fn parse(text: &str) -> Option<Pids> {
        let mut fields = text.split_ascii_whitespace();
        let pids = Pids {
            shim: fields.next()?.parse().ok()?,
            workload: fields.next()?.parse().ok()?,
            shim_start: fields.next()?.parse().ok()?,
            workload_start: fields.next()?.parse().ok()?,
        };
        (fields.next().is_none() && pids.shim > 1 && pids.workload > 1).then_some(pids)
    }

    /// The file's text.
    pub fn render(&self) -> String {
        format!(
            "{} {} {} {}\n",
            self.shim, self.workload, self.shim_start, self.workload_start
        )
    }
}

/// The fields of `/proc/<pid>/stat` this module needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Field 4.
    pub ppid: i32,
    /// Field 5: the process group.
    pub pgrp: i32,
    /// Field 6: the session (the shim's pid for its workload: the shim calls `setsid`).
    pub session: i32,
    /// Field 22.
    pub start_time: u64,
}

/// Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may itself hold
/// spaces and `)`, so the fields are counted from after the *last* `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let (_, rest) = text.rsplit_once(')')?;
    // `rest` starts at field 3 (state): field n is at index n - 3.
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    Some(Stat {
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        session: fields.get(3)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// The stat of a live process (`"self"` for this one).
pub fn stat_of(pid: &str) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The command line the runtime starts a shim of `dir` with, as `/proc/<pid>/cmdline` shows it.
pub fn shim_cmdline<'a>(parts: impl IntoIterator<Item = &'a OsStr>, dir: &'a Path) -> Vec<u8> {
    let mut line = Vec::new();
    for part in parts.into_iter().chain([dir.as_os_str()]) {
        line.extend_from_slice(part.as_bytes());
        line.push(0);
    }
    line
}

/// A pidfd of the shim `pids` names, if that process is it: started at the recorded time with
/// `cmdline`. The pidfd pins the process, so what is read after opening it is about that process
/// (or it has died, and then the start time or the liveness check below fails).
pub fn verify_shim(pids: &Pids, cmdline: &[u8]) -> Option<OwnedFd> {
    let pidfd = rustix::process::pidfd_open(Pid::from_raw(pids.shim)?, PidfdFlags::empty()).ok()?;
    let stat = stat_of(&pids.shim.to_string())?;
    let actual = std::fs::read(format!("/proc/{}/cmdline", pids.shim)).ok()?;
    if stat.start_time != pids.shim_start || actual != cmdline {
        tracing::warn!(
            pid = pids.shim,
            "a pids file names a process that is not our shim"
        );
        return None;
    }
    // A pidfd turns readable when its process has ended.
    let mut poll = [PollFd::new(&pidfd, PollFlags::IN)];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let ended = rustix::event::poll(&mut poll, Some(&zero)).map_or(true, |n| n > 0);
    (!ended).then_some(pidfd)
}

/// Whether the workload `pids` names still leads its process group, started at the recorded
/// time (and, with `orphaned`, is still in the dead shim's session): only then may its group
/// be signalled.
fn workload_is_ours(pids: &Pids, orphaned: bool) -> bool {
    match stat_of(&pids.workload.to_string()) {
        Some(stat) => {
            stat.start_time == pids.workload_start
                && stat.pgrp == pids.workload
                && (!orphaned || stat.session == pids.shim)
        }
        None => false,
    }
}

/// Signals the group of the workload of a verified, live shim if it still is the one the shim
/// started; false if nothing was sent.
pub fn signal_workload(pids: &Pids, signal: Signal) -> bool {
    workload_is_ours(pids, false) && killpg(NixPid::from_raw(pids.workload), signal).is_ok()
}

/// SIGKILLs the group of a workload whose shim died without an exit code. With the shim gone
/// nothing vouches for `pids` but the folder it is in, so the workload must also still be in
/// the session the shim opened, and the shim's pid must not name a live process: a file naming
/// some unrelated process (whose session leader lives) is not believed. False if nothing sent.
pub fn kill_orphaned_workload(pids: &Pids) -> bool {
    let shim_gone = stat_of(&pids.shim.to_string()).is_none();
    shim_gone
        && workload_is_ours(pids, true)
        && killpg(NixPid::from_raw(pids.workload), Signal::SIGKILL).is_ok()
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis() {
        let tail = (7..=21)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let text = format!("4242 (evil) (name ) 7 8) S 17 99 98 {tail} 123456 0 0\n");
        let stat = parse_stat(&text).expect("parsed");
        assert_eq!(
            stat,
            Stat {
                ppid: 17,
                pgrp: 99,
                session: 98,
                start_time: 123_456
            }
        );
        assert_eq!(parse_stat("12 (x) S 1"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_stat_is_readable() {
        let stat = stat_of("self").expect("own stat");
        assert!(stat.start_time > 0);
        assert_eq!(stat.ppid, nix::unistd::getppid().as_raw());
    }

    #[test]
    fn pids_round_trip_and_old_format_is_refused() {
        let pids = Pids {
            shim: 10,
            workload: 11,
            shim_start: 5,
            workload_start: 6,
        };
        assert_eq!(Pids::parse(&pids.render()), Some(pids));
        assert_eq!(Pids::parse("10 11\n"), None);
        assert_eq!(Pids::parse("1 11 5 6"), None);
        assert_eq!(Pids::parse("10 11 5 6 7"), None);
    }

    #[test]
    fn an_unrelated_process_is_not_believed_nor_signalled() {
        let mut sleep = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("sleep");
        #[allow(clippy::cast_possible_wrap)] // pids fit in i32
        let pid = sleep.id() as i32;
        let start = stat_of(&pid.to_string()).expect("stat").start_time;
        let mut pids = Pids {
            shim: pid,
            workload: pid,
            shim_start: start,
            workload_start: start + 1,
        };
        let cmdline = shim_cmdline(
            [OsStr::new("ank-agent"), OsStr::new("__shim")],
            Path::new("/x"),
        );
        assert!(verify_shim(&pids, &cmdline).is_none(), "cmdline differs");
        assert!(
            !signal_workload(&pids, Signal::SIGKILL),
            "start time differs"
        );
        pids.workload_start = start;
        // Even with the right start time: its session is not a dead shim's.
        assert!(!kill_orphaned_workload(&pids));
        pids.shim = pid + 1_000_000;
        assert!(!kill_orphaned_workload(&pids));
        assert!(
            sleep.try_wait().expect("wait").is_none(),
            "sleep still runs"
        );
        let _ = sleep.kill();
        let _ = sleep.wait();
    }
}
