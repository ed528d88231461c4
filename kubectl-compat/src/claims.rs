//! `ank delete -f` (and `ank apply -d`) of a PersistentVolumeClaim: its workload's stop removes
//! the volume, so the deletion is refused while a workload of the desired state that is not
//! deleted with it mounts the claim. The check reads the server's desired state first; a
//! workload added between that read and the update is not seen (the agent then keeps a volume
//! in use: Podman refuses to remove it).

use std::collections::BTreeMap;

use ank_model::runtime_config::PODMAN_KUBE;
use ank_model::State;
use podspec::claims::claims_in;

use crate::client::Client;

/// Why deleting `deleting` from `current` is refused, naming each claim and its users; `None`
/// when no claim it deletes is mounted by a workload that stays.
pub fn in_use(deleting: &State, current: &State) -> Option<String> {
    let podman_kube = |w: &&ank_model::Workload| w.runtime == PODMAN_KUBE;
    let claims: Vec<String> = deleting
        .workloads
        .values()
        .filter(podman_kube)
        .flat_map(|w| claims_in(&w.runtime_config).defined)
        .collect();
    if claims.is_empty() {
        return None;
    }
    let mut users: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let staying = current
        .workloads
        .iter()
        .filter(|(name, _)| !deleting.workloads.contains_key(*name))
        .filter(|(_, w)| podman_kube(w));
    for (name, workload) in staying {
        for used in claims_in(&workload.runtime_config).used {
            if let Some(claim) = claims.iter().find(|c| **c == used) {
                users.entry(claim).or_default().push(name);
            }
        }
    }
    let reasons: Vec<String> = users
        .into_iter()
        .map(|(claim, names)| {
            format!(
                "claim {claim:?} is used by workload {}; delete it first",
                names.join(", ")
            )
        })
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("\n"))
}

/// [`in_use`] against the server's desired state.
pub async fn check(client: &mut Client, deleting: &State) -> anyhow::Result<Option<String>> {
    let defines_claims = deleting
        .workloads
        .values()
        .any(|w| w.runtime == PODMAN_KUBE && !claims_in(&w.runtime_config).defined.is_empty());
    if !defines_claims {
        return Ok(None);
    }
    let masks = ["desiredState.workloads".to_owned()];
    let current = client.complete_state(&masks).await?.desired_state;
    Ok(in_use(deleting, &current))
}

#[cfg(test)]
mod tests {
    use ank_model::Workload;

    use super::*;

    fn workload(manifest: &str) -> Workload {
        let indented: String = manifest.lines().map(|l| format!("  {l}\n")).collect();
        Workload {
            runtime: PODMAN_KUBE.to_owned(),
            runtime_config: format!("manifest: |\n{indented}"),
            ..Workload::default()
        }
    }

    fn state(workloads: &[(&str, Workload)]) -> State {
        let mut state = State::new();
        for (name, w) in workloads {
            state.workloads.insert((*name).to_owned(), w.clone());
        }
        state
    }

    #[test]
    fn a_claim_is_refused_while_a_staying_workload_mounts_it() {
        let claim = workload("kind: PersistentVolumeClaim\nmetadata: {name: data}");
        let user = workload("kind: Pod\nmetadata: {name: db}\nspec:\n  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]");
        let other = workload("kind: Pod\nmetadata: {name: web}\nspec: {}");
        let current = state(&[
            ("pvc-data", claim.clone()),
            ("db-0", user.clone()),
            ("db-1", user.clone()),
            ("web", other),
        ]);
        let only_claim = state(&[("pvc-data", claim.clone())]);
        assert_eq!(
            in_use(&only_claim, &current).as_deref(),
            Some("claim \"data\" is used by workload db-0, db-1; delete it first")
        );
        let with_users = state(&[("pvc-data", claim), ("db-0", user.clone()), ("db-1", user)]);
        assert_eq!(in_use(&with_users, &current), None, "deleted together");
        let unused = state(&[("pvc-data", current.workloads["pvc-data"].clone())]);
        let after = state(&[("pvc-data", current.workloads["pvc-data"].clone())]);
        assert_eq!(in_use(&unused, &after), None);
    }
}
