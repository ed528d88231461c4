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
        _ => "An Anchorage validation rule",
    }
}
