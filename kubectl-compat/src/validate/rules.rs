//! One-line descriptions of podspec's rule ids, shown by code-scanning UIs (SARIF `rules[]`).

/// The description of a rule; a generic one for ids this table does not know yet.
pub fn describe(rule: &str) -> &'static str {
    match rule {
        "yaml-syntax" => "The file is not well-formed YAML or JSON",
        "unknown-field" => "A field the schema does not define (a typo is never dropped)",
        "type-error" => "A value of the wrong type",
        "api-version" => "An apiVersion that does not serve this kind",
        "required" => "A required field is missing",
        "dns1123-name" => "A name that is not a valid DNS-1123 label or subdomain",
        "duplicate-container" => "Two containers of a pod share a name",
        "duplicate-port" => "Two ports of a pod share a name or a port/protocol",
        "image-reference" => "An image reference that does not parse",
        "quantity" => "A resource quantity that does not parse",
        "env-name" => "An invalid environment variable name",
        "volume-mount" => "A volumeMount that names no volume of the pod",
        "restart-policy" => "A restartPolicy not allowed for this kind",
        "image-pull-policy" => "An imagePullPolicy other than Always, IfNotPresent or Never",
        "unsupported-kind" => "A kind neither Kubernetes nor Anchorage knows",
        "port" => "A port number outside 1..65535, a bad port name or protocol",
        "volume" => "A volume with a bad or repeated name, or not exactly one source",
        "config-key" => "A ConfigMap or Secret key Kubernetes rejects",
        "selector" => "A Deployment selector that does not select its own template",
        "replicas" => "A negative replicas count",
        "ankaios-name" => "A name that does not fit Ankaios' [a-zA-Z0-9_-]{1,63}",
        "ankaios-duplicate" => "A workload or config defined twice in one file",
        "ankaios-native" => "A container the native runtime cannot run as written",
        "probe-handler" => "A probe without exactly one handler",
        "unsupported-field" => "A field Anchorage cannot honour",
        "runtime-drops-field" => "A field podman kube play silently drops",
        "ankaios-validation" => "An Ankaios manifest rule: names, cycles, configs, templates",
        "ankaios-runtime" => "An Ankaios workload its agent will not start as written",
        "k8s-metadata" => {
            "ObjectMeta: generateName, namespace, annotation size, finalizers, owners"
        }
        "k8s-pod" => "A pod-level field Kubernetes' ValidatePodSpec rejects",
        "k8s-container" => {
            "A container field Kubernetes rejects (policies, init containers, devices)"
        }
        "k8s-port" => "A host IP or host port Kubernetes rejects",
        "k8s-env" => "An env value source, field or resource selector Kubernetes rejects",
        "k8s-resources" => "A resource name or extended resource request Kubernetes rejects",
        "k8s-volume-mount" => {
            "A subPath, mount propagation or recursive read-only setting Kubernetes rejects"
        }
        "k8s-volume" => "A volume source field Kubernetes rejects",
        "k8s-probe" => "A probe or lifecycle hook field Kubernetes rejects",
        "k8s-security-context" => "A pod or container security context field Kubernetes rejects",
        "k8s-scheduling" => {
            "A node selector, toleration, affinity or spread constraint Kubernetes rejects"
        }
        "k8s-dns" => "A dnsPolicy, dnsConfig or hostAliases entry Kubernetes rejects",
        "k8s-deployment" => "A Deployment strategy or counter Kubernetes rejects",
        "k8s-job" => "A Job field Kubernetes rejects (counts, modes, failure and success policies)",
        "k8s-data" => "A ConfigMap or Secret over 1 MiB, or a Secret missing its type's keys",
        "k8s-claim" => {
            "A PersistentVolumeClaim without access modes or storage request, or with unknown ones"
        }
        _ => "An Anchorage validation rule",
    }
}
