//! The stable rule ids that findings carry. CI pipelines filter on them, so they never change
//! meaning; new rules get new ids.

/// The file is not valid YAML (or JSON).
pub const YAML_SYNTAX: &str = "yaml-syntax";
/// A field that the schema does not know (often a typo).
pub const UNKNOWN_FIELD: &str = "unknown-field";
/// A value of the wrong type, or an enum value the schema does not know.
pub const TYPE_ERROR: &str = "type-error";
/// An `apiVersion` that does not serve this kind (a Pod is `v1`, a Deployment `apps/v1`).
pub const API_VERSION: &str = "api-version";
/// A required field is missing or empty.
pub const REQUIRED: &str = "required";
/// The document has a `kind` that neither Kubernetes nor Anchorage knows.
pub const UNSUPPORTED_KIND: &str = "unsupported-kind";
/// A name that is not a DNS-1123 label or subdomain.
pub const DNS1123_NAME: &str = "dns1123-name";
/// Two containers (including init containers) share a name.
pub const DUPLICATE_CONTAINER: &str = "duplicate-container";
/// Two ports share `containerPort`/`protocol`, or a name.
pub const DUPLICATE_PORT: &str = "duplicate-port";
/// A port number outside 1..65535, a bad port name or protocol.
pub const PORT: &str = "port";
/// An image reference that does not parse.
pub const IMAGE_REFERENCE: &str = "image-reference";
/// `imagePullPolicy` is not `Always`, `IfNotPresent` or `Never`.
pub const IMAGE_PULL_POLICY: &str = "image-pull-policy";
/// A resource quantity that does not parse, or requests above limits.
pub const QUANTITY: &str = "quantity";
/// An environment variable with a bad name or with both `value` and `valueFrom`.
pub const ENV_NAME: &str = "env-name";
/// A volume mount naming no volume, with a relative or repeated `mountPath`.
pub const VOLUME_MOUNT: &str = "volume-mount";
/// A volume with a bad or repeated name, or without exactly one source.
pub const VOLUME: &str = "volume";
/// A label or annotation key that is not a qualified name, or a label value Kubernetes rejects.
pub const LABEL: &str = "label";
/// `restartPolicy` not allowed for this kind.
pub const RESTART_POLICY: &str = "restart-policy";
/// A probe without exactly one handler.
pub const PROBE_HANDLER: &str = "probe-handler";
/// A ConfigMap or Secret key that Kubernetes rejects.
pub const CONFIG_KEY: &str = "config-key";
/// A Deployment selector that does not select its own template, or negative replicas.
pub const SELECTOR: &str = "selector";
/// Negative `replicas` or other counts.
pub const REPLICAS: &str = "replicas";
/// Kubernetes accepts it but Anchorage cannot honour it: `ank apply` refuses.
pub const UNSUPPORTED: &str = "unsupported-field";
/// `podman kube play` silently ignores it: a warning only.
pub const RUNTIME_DROPS: &str = "runtime-drops-field";
/// The name does not fit Ankaios' `[a-zA-Z0-9_-]{1,63}` after mapping dots to dashes.
pub const ANKAIOS_NAME: &str = "ankaios-name";
/// A workload or config defined twice across the documents of a file.
pub const ANKAIOS_DUPLICATE: &str = "ankaios-duplicate";
/// A rule of `ank_model::validate` broken by an Ankaios manifest.
pub const ANKAIOS_VALIDATION: &str = "ankaios-validation";
/// Accepted by the server, but the agent will not start the workload as written (files on a
/// `podman-kube` workload): a warning only, as Ankaios accepts it.
pub const ANKAIOS_RUNTIME: &str = "ankaios-runtime";
/// The native runtime cannot run this container as written.
pub const ANKAIOS_NATIVE: &str = "ankaios-native";
/// Kubernetes' `ValidateObjectMeta` beyond names and labels: generateName, namespace,
/// annotation size, finalizers, owner references.
pub const K8S_METADATA: &str = "k8s-metadata";
/// A pod-level field of `ValidatePodSpec`: deadlines, hostname, service account, priority,
/// readiness and scheduling gates, overhead, OS, host namespaces, resource claims.
pub const K8S_POD: &str = "k8s-pod";
/// A container field of `validateContainers`: termination message, resize and restart policy,
/// init-container restrictions, volume devices, lifecycle.
pub const K8S_CONTAINER: &str = "k8s-container";
/// A port rule beyond `port`: host IP, host port uniqueness, host network.
pub const K8S_PORT: &str = "k8s-port";
/// `validateEnv`/`validateEnvFrom`: value sources, field and resource selectors, key refs.
pub const K8S_ENV: &str = "k8s-env";
/// `ValidateResourceRequirements` beyond parsing: names, extended resources, hugepages.
pub const K8S_RESOURCES: &str = "k8s-resources";
/// A volume mount rule beyond `volume-mount`: subPath, propagation, recursive read-only.
pub const K8S_MOUNT: &str = "k8s-volume-mount";
/// A volume source's own rules (`validateVolumeSource`): hostPath, emptyDir, secret, ….
pub const K8S_VOLUME: &str = "k8s-volume";
/// `validateProbe` and handlers: numbers, ports, schemes, headers, lifecycle hooks.
pub const K8S_PROBE: &str = "k8s-probe";
/// Pod and container security contexts: ids, seccomp, AppArmor, sysctls, privilege.
pub const K8S_SECURITY: &str = "k8s-security-context";
/// Affinity, tolerations, topology spread constraints and the node selector.
pub const K8S_SCHEDULING: &str = "k8s-scheduling";
/// `dnsPolicy`, `dnsConfig` and `hostAliases`.
pub const K8S_DNS: &str = "k8s-dns";
/// `apps/v1` Deployment spec rules beyond selector and replicas.
pub const K8S_DEPLOYMENT: &str = "k8s-deployment";
/// `batch/v1` Job spec rules.
pub const K8S_JOB: &str = "k8s-job";
/// ConfigMap and Secret sizes and Secret types.
pub const K8S_DATA: &str = "k8s-data";
/// PersistentVolumeClaim spec rules: access modes, storage request, volume mode, class.
pub const K8S_CLAIM: &str = "k8s-claim";
