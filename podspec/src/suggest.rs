//! "Did you mean" for unknown fields: the closest name from a vocabulary of the Kubernetes field
//! names people write in pod manifests. A static list keeps it simple; a miss only loses the hint.

/// Field names of Pod, PodSpec, Container, ObjectMeta, Deployment, Job, ConfigMap and Secret.
const VOCABULARY: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "status",
    "name",
    "namespace",
    "labels",
    "annotations",
    "generateName",
    "containers",
    "initContainers",
    "ephemeralContainers",
    "image",
    "imagePullPolicy",
    "command",
    "args",
    "workingDir",
    "ports",
    "containerPort",
    "hostPort",
    "hostIP",
    "protocol",
    "env",
    "envFrom",
    "value",
    "valueFrom",
    "configMapKeyRef",
    "secretKeyRef",
    "fieldRef",
    "resourceFieldRef",
    "configMapRef",
    "secretRef",
    "prefix",
    "resources",
    "limits",
    "requests",
    "claims",
    "volumeMounts",
    "mountPath",
    "subPath",
    "readOnly",
    "volumes",
    "configMap",
    "secret",
    "secretName",
    "emptyDir",
    "hostPath",
    "path",
    "items",
    "key",
    "optional",
    "defaultMode",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "exec",
    "httpGet",
    "tcpSocket",
    "grpc",
    "port",
    "host",
    "scheme",
    "initialDelaySeconds",
    "periodSeconds",
    "timeoutSeconds",
    "failureThreshold",
    "successThreshold",
    "securityContext",
    "privileged",
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "readOnlyRootFilesystem",
    "capabilities",
    "add",
    "drop",
    "allowPrivilegeEscalation",
    "stdin",
    "tty",
    "restartPolicy",
    "nodeName",
    "nodeSelector",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostname",
    "subdomain",
    "dnsPolicy",
    "dnsConfig",
    "runtimeClassName",
    "serviceAccountName",
    "terminationGracePeriodSeconds",
    "affinity",
    "tolerations",
    "priorityClassName",
    "schedulerName",
    "imagePullSecrets",
    "replicas",
    "selector",
    "matchLabels",
    "matchExpressions",
    "operator",
    "values",
    "template",
    "strategy",
    "minReadySeconds",
    "backoffLimit",
    "completions",
    "parallelism",
    "data",
    "binaryData",
    "stringData",
    "type",
    "immutable",
    "lifecycle",
    "terminationMessagePath",
    "shareProcessNamespace",
];

/// The vocabulary entry closest to `field`, if it is near enough to be a typo.
pub(crate) fn closest(field: &str) -> Option<&'static str> {
    let limit = if field.len() <= 4 { 1 } else { 2 };
    VOCABULARY
        .iter()
        .map(|known| {
            (
                distance(&field.to_ascii_lowercase(), &known.to_ascii_lowercase()),
                *known,
            )
        })
        .filter(|(d, known)| *d <= limit && *known != field)
        .min_by_key(|(d, _)| *d)
        .map(|(_, known)| known)
}

/// Levenshtein distance with adjacent transpositions (so `contianers` is one edit away).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos_and_case_slips() {
        assert_eq!(closest("contianers"), Some("containers"));
        assert_eq!(closest("imagePullpolicy"), Some("imagePullPolicy"));
        assert_eq!(closest("nmae"), Some("name"));
        assert_eq!(closest("totallyDifferent"), None);
    }
}
