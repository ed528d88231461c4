//! The `podman run` argv of an instance and the files it mounts: pure, so unit tests pin the
//! exact command line.

use std::path::{Component, Path, PathBuf};

use ank_model::runtime_config::PodmanConfig;
use ank_model::{File, WorkloadInstanceName};
use base64::Engine;

use crate::podman_cli::INSTANCE_LABEL;
use crate::RuntimeError;

/// Where the control interface appears inside a container (as in Ankaios).
pub const CONTROL_INTERFACE_TARGET: &str = "/run/ankaios/control_interface";

/// `[generalOptions] run -d --name <instance> --label … [file mounts] [commandOptions]
/// [control interface mount] image [commandArgs]`.
///
/// Our mounts of files come before the user's options and the control interface after them,
/// as in Ankaios, so a user option cannot shadow the control interface.
pub fn run_args(
    config: &PodmanConfig,
    instance: &WorkloadInstanceName,
    file_mounts: &[(PathBuf, String)],
    control_interface_dir: Option<&Path>,
) -> Vec<String> {
    let name = instance.to_string();
    let mut args = config.general_options.clone();
    args.extend(["run", "-d", "--name", &name, "--label"].map(String::from));
    args.push(format!("{INSTANCE_LABEL}={name}"));
    for (source, destination) in file_mounts {
        args.push(format!(
            "--mount=type=bind,source={},destination={destination},readonly",
            source.display()
        ));
    }
    args.extend(config.command_options.iter().cloned());
    if let Some(dir) = control_interface_dir {
        args.push(format!(
            "--mount=type=bind,source={},destination={CONTROL_INTERFACE_TARGET}",
            dir.display()
        ));
    }
    args.push(config.image.clone());
    args.extend(config.command_args.iter().cloned());
    args
}

/// Writes each file under `<instance_dir>/files/<mountPoint>` and returns (host path, mount
/// point) pairs to bind-mount.
pub fn write_files(
    instance_dir: &Path,
    files: &[File],
) -> Result<Vec<(PathBuf, String)>, RuntimeError> {
    let mut mounts = Vec::new();
    for file in files {
        let host = host_path(instance_dir, &file.mount_point)?;
        let content = match (&file.data, &file.binary_data) {
            (Some(text), _) => text.clone().into_bytes(),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| {
                    RuntimeError::StartFailed(format!(
                        "file '{}': invalid base64: {e}",
                        file.mount_point
                    ))
                })?,
            (None, None) => Vec::new(),
        };
        if let Some(parent) = host.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| RuntimeError::io(format!("cannot create {}", parent.display()), e))?;
        }
        std::fs::write(&host, content)
            .map_err(|e| RuntimeError::io(format!("cannot write {}", host.display()), e))?;
        mounts.push((host, file.mount_point.clone()));
    }
    Ok(mounts)
}

/// `<instance_dir>/files/<mount point>`, refusing relative mount points and `..`.
fn host_path(instance_dir: &Path, mount_point: &str) -> Result<PathBuf, RuntimeError> {
    let path = Path::new(mount_point);
    let mut host = instance_dir.join("files");
    let mut rooted = false;
    for component in path.components() {
        match component {
            Component::RootDir => rooted = true,
            Component::Normal(part) => host.push(part),
            Component::CurDir => {}
            _ => {
                return Err(RuntimeError::StartFailed(format!(
                    "file mount point '{mount_point}' is not a plain absolute path"
                )))
            }
        }
    }
    if !rooted || host == instance_dir.join("files") {
        return Err(RuntimeError::StartFailed(format!(
            "file mount point '{mount_point}' is not a plain absolute path"
        )));
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PodmanConfig {
        PodmanConfig {
            general_options: vec!["--log-level=error".into()],
            command_options: vec!["-p".into(), "8080:80".into()],
            image: "localhost/busybox:latest".into(),
            command_args: vec!["sleep".into(), "9".into()],
        }
    }

    #[test]
    fn run_argv_orders_options_like_ankaios() {
        let instance = WorkloadInstanceName::parse("web.abc.agent_A").expect("name");
        let args = run_args(
            &config(),
            &instance,
            &[(PathBuf::from("/r/files/etc/a.conf"), "/etc/a.conf".into())],
            Some(Path::new("/r/control_interface")),
        );
        assert_eq!(
            args.join(" "),
            "--log-level=error run -d --name web.abc.agent_A --label anchorage.instance=web.abc.agent_A \
             --mount=type=bind,source=/r/files/etc/a.conf,destination=/etc/a.conf,readonly -p 8080:80 \
             --mount=type=bind,source=/r/control_interface,destination=/run/ankaios/control_interface \
             localhost/busybox:latest sleep 9"
        );
    }

    #[test]
    fn writes_text_and_binary_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = vec![
            File {
                mount_point: "/etc/app/a.conf".into(),
                data: Some("port=1".into()),
                binary_data: None,
            },
            File {
                mount_point: "/bin.dat".into(),
                data: None,
                binary_data: Some("aGk=".into()),
            },
        ];
        let mounts = write_files(dir.path(), &files).expect("writes");
        assert_eq!(
            std::fs::read_to_string(&mounts[0].0).expect("read"),
            "port=1"
        );
        assert_eq!(std::fs::read(&mounts[1].0).expect("read"), b"hi");
        assert!(mounts[0].0.ends_with("files/etc/app/a.conf"));
    }

    #[test]
    fn refuses_escaping_mount_points() {
        let dir = tempfile::tempdir().expect("tempdir");
        for bad in ["/../x", "rel/x", "/"] {
            let file = File {
                mount_point: bad.into(),
                data: Some(String::new()),
                binary_data: None,
            };
            assert!(write_files(dir.path(), &[file]).is_err(), "{bad}");
        }
    }
}
