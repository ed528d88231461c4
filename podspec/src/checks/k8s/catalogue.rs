//! The rule catalogue: every rule of Kubernetes' pod, Deployment, Job, ConfigMap and Secret
//! validation that `ank validate` knows of, with the function it comes from, the field path it
//! judges and either the check and finding rule id that cover it, or why it does not apply to
//! an offline validator. `podspec/tests/k8s_rules.rs` runs a failing example for every covered
//! rule, and `docs/pod-validation.md` is rendered from this table.

use crate::rules as r;

/// One rule of Kubernetes' validation.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable catalogue id, `area.rule`.
    pub id: &'static str,
    /// The Kubernetes validation function it comes from.
    pub source: &'static str,
    /// The field path it judges, `[*]` for any index and `<key>` for any map key.
    pub path: &'static str,
    /// Whether and how it is checked.
    pub status: Status,
}

/// Whether a rule is checked.
#[derive(Debug, Clone, Copy)]
pub enum Status {
    /// Checked: findings carry rule id `finding`, raised by the function `check`.
    Covered {
        /// The finding's rule id.
        finding: &'static str,
        /// The podspec function that raises it.
        check: &'static str,
    },
    /// Not checked, for the reason given.
    NotApplicable(&'static str),
}

const fn c(
    id: &'static str,
    source: &'static str,
    path: &'static str,
    finding: &'static str,
    check: &'static str,
) -> Rule {
    Rule {
        id,
        source,
        path,
        status: Status::Covered { finding, check },
    }
}

const fn na(
    id: &'static str,
    source: &'static str,
    path: &'static str,
    reason: &'static str,
) -> Rule {
    Rule {
        id,
        source,
        path,
        status: Status::NotApplicable(reason),
    }
}

/// Rules only about an existing object.
const UPDATE: &str =
    "update-only: compares with the old object, which an offline validator does not have";
/// Rules of the status subresource.
const STATUS: &str = "status subresource: written by controllers and kubelets, never in a manifest";

/// Every rule, in area order.
pub static RULES: &[Rule] = &[
    // ObjectMeta.
    c("metadata.name-required", "ValidateObjectMeta", "metadata.name", r::REQUIRED, "checks::check_name"),
    c("metadata.name-dns1123", "ValidateObjectMeta/NameIsDNSSubdomain", "metadata.name", r::DNS1123_NAME, "checks::check_name"),
    c("metadata.generate-name", "ValidateObjectMeta (prefix)", "metadata.generateName", r::K8S_METADATA, "k8s::metadata::check"),
    c("metadata.namespace", "ValidateObjectMeta/ValidateNamespaceName", "metadata.namespace", r::K8S_METADATA, "k8s::metadata::check"),
    c("metadata.label-key", "ValidateLabels/ValidateLabelName", "metadata.labels.<key>", r::LABEL, "checks::check_labels"),
    c("metadata.label-value", "ValidateLabels/IsValidLabelValue", "metadata.labels.<key>", r::LABEL, "checks::check_labels"),
    c("metadata.annotation-key", "ValidateAnnotations", "metadata.annotations.<key>", r::LABEL, "checks::check_labels"),
    c("metadata.annotations-size", "ValidateAnnotationsSize (256 KiB)", "metadata.annotations", r::K8S_METADATA, "k8s::metadata::check"),
    c("metadata.finalizer-name", "ValidateFinalizerName", "metadata.finalizers[*]", r::K8S_METADATA, "k8s::metadata::check"),
    c("metadata.finalizer-qualified", "ValidateFinalizerName (standard or qualified)", "metadata.finalizers[*]", r::K8S_METADATA, "k8s::metadata::check"),
    c("metadata.owner-reference-fields", "validateOwnerReference", "metadata.ownerReferences[*]", r::K8S_METADATA, "k8s::metadata::check"),
    c("metadata.owner-reference-controller", "ValidateOwnerReferences (one controller)", "metadata.ownerReferences[*].controller", r::K8S_METADATA, "k8s::metadata::check"),
    na("metadata.immutable-fields", "ValidateObjectMetaUpdate", "metadata.{name,namespace,uid,creationTimestamp}", UPDATE),
    na("metadata.resource-version", "ValidateObjectMetaUpdate", "metadata.resourceVersion", "set by the API server; cleared on create"),
    na("metadata.managed-fields", "ValidateManagedFields", "metadata.managedFields", "written by server-side apply, not by authors"),
    na("metadata.namespace-of-kind", "ValidateObjectMeta (namespace required)", "metadata.namespace", "kubectl and ank default the namespace; Anchorage has none"),
    // Pod spec: pod-level.
    c("pod.containers-required", "ValidatePodSpec/validateContainers", "spec.containers", r::REQUIRED, "checks::pod::check_spec"),
    c("pod.restart-policy", "validateRestartPolicy", "spec.restartPolicy", r::RESTART_POLICY, "checks::pod::check_restart_policy"),
    c("pod.active-deadline-seconds", "ValidatePodSpec", "spec.activeDeadlineSeconds", r::K8S_POD, "k8s::pod::check"),
    c("pod.termination-grace-period", "ValidatePodSpec/ValidateNonnegativeField", "spec.terminationGracePeriodSeconds", r::K8S_POD, "k8s::pod::check"),
    c("pod.hostname", "ValidatePodSpec/ValidateDNS1123Label", "spec.hostname", r::K8S_POD, "k8s::pod::check"),
    c("pod.subdomain", "ValidatePodSpec/ValidateDNS1123Label", "spec.subdomain", r::K8S_POD, "k8s::pod::check"),
    c("pod.service-account-name", "ValidateServiceAccountName", "spec.serviceAccountName", r::K8S_POD, "k8s::pod::check"),
    na("pod.node-name", "ValidateNodeName", "spec.nodeName", "Anchorage reads nodeName as an Ankaios agent name (`agent_A`), whose grammar is not DNS-1123"),
    c("pod.scheduler-name", "ValidatePodSpec/ValidateDNS1123Subdomain", "spec.schedulerName", r::K8S_POD, "k8s::pod::check"),
    c("pod.priority-class-name", "ValidatePriorityClassName", "spec.priorityClassName", r::K8S_POD, "k8s::pod::check"),
    c("pod.runtime-class-name", "ValidateRuntimeClassName", "spec.runtimeClassName", r::K8S_POD, "k8s::pod::check"),
    c("pod.preemption-policy", "validatePreemptionPolicy", "spec.preemptionPolicy", r::K8S_POD, "k8s::pod::check"),
    c("pod.share-process-namespace", "validatePodSpec (ShareProcessNamespace with HostPID)", "spec.shareProcessNamespace", r::K8S_POD, "k8s::pod::check"),
    c("pod.host-users-namespaces", "validateHostUsers", "spec.hostNetwork", r::K8S_POD, "k8s::pod::check"),
    c("pod.ephemeral-containers-on-create", "ValidatePodCreate / ValidatePodTemplateSpec", "spec.ephemeralContainers", r::K8S_POD, "k8s::pod::check"),
    c("pod.readiness-gate", "validateReadinessGates", "spec.readinessGates[*].conditionType", r::K8S_POD, "k8s::pod::check"),
    c("pod.scheduling-gate-name", "validateSchedulingGates", "spec.schedulingGates[*].name", r::K8S_POD, "k8s::pod::check"),
    c("pod.scheduling-gate-unique", "validateSchedulingGates", "spec.schedulingGates[*].name", r::K8S_POD, "k8s::pod::check"),
    c("pod.overhead", "validateOverhead/ValidateResourceQuantityValue", "spec.overhead.<resource>", r::K8S_POD, "k8s::resources::check_list"),
    c("pod.resource-claim-name", "validatePodResourceClaim", "spec.resourceClaims[*].name", r::K8S_POD, "k8s::pod::check_claims"),
    c("pod.resource-claim-unique", "validatePodResourceClaims", "spec.resourceClaims[*].name", r::K8S_POD, "k8s::pod::check_claims"),
    c("pod.resource-claim-source", "validatePodResourceClaim (one source)", "spec.resourceClaims[*]", r::K8S_POD, "k8s::pod::check_claims"),
    c("pod.os-name", "validateOS", "spec.os.name", r::K8S_POD, "k8s::pod::check_os"),
    c("pod.os-windows-forbids-linux", "validateWindows", "spec.securityContext.*", r::K8S_POD, "k8s::pod::check_os"),
    c("pod.os-linux-forbids-windows", "validateLinux", "spec.securityContext.windowsOptions", r::K8S_POD, "k8s::pod::check_os"),
    na("pod.image-pull-secrets", "validateImagePullSecrets", "spec.imagePullSecrets[*]", "a LocalObjectReference has only `name`; Kubernetes warns on an empty one, it does not fail"),
    na("pod.level-resources", "validatePodResourceRequirements", "spec.resources", "PodLevelResources is alpha in 1.33 and off by default: the API server drops the field"),
    na("pod.update-immutable", "ValidatePodUpdate", "spec", UPDATE),
    na("pod.status", "ValidatePodStatusUpdate", "status", STATUS),
    na("pod.binding", "ValidatePodBinding", "binding", "the binding subresource is written by the scheduler"),
    na("pod.ephemeral-update", "ValidatePodEphemeralContainersUpdate", "spec.ephemeralContainers", "ephemeralcontainers subresource: an update of a running pod"),
    na("pod.resize", "ValidatePodResize", "spec.containers[*].resources", "resize subresource: an update of a running pod"),
    // DNS.
    c("dns.policy", "validateDNSPolicy", "spec.dnsPolicy", r::K8S_DNS, "k8s::dns::check"),
    c("dns.config-required-for-none", "validatePodDNSConfig", "spec.dnsConfig", r::K8S_DNS, "k8s::dns::check"),
    c("dns.nameserver-required-for-none", "validatePodDNSConfig", "spec.dnsConfig.nameservers", r::K8S_DNS, "k8s::dns::check"),
    c("dns.nameservers-max", "validatePodDNSConfig (MaxDNSNameservers)", "spec.dnsConfig.nameservers", r::K8S_DNS, "k8s::dns::check"),
    c("dns.nameserver-ip", "validatePodDNSConfig/IsValidIP", "spec.dnsConfig.nameservers[*]", r::K8S_DNS, "k8s::dns::check"),
    c("dns.searches-max", "validatePodDNSConfig (MaxDNSSearchPaths)", "spec.dnsConfig.searches", r::K8S_DNS, "k8s::dns::check"),
    c("dns.searches-length", "validatePodDNSConfig (MaxDNSSearchListChars)", "spec.dnsConfig.searches", r::K8S_DNS, "k8s::dns::check"),
    c("dns.search-name", "validatePodDNSConfig/IsDNS1123Subdomain", "spec.dnsConfig.searches[*]", r::K8S_DNS, "k8s::dns::check"),
    c("dns.option-name", "validatePodDNSConfig", "spec.dnsConfig.options[*].name", r::K8S_DNS, "k8s::dns::check"),
    c("dns.host-alias-ip", "ValidateHostAliases/IsValidIP", "spec.hostAliases[*].ip", r::K8S_DNS, "k8s::dns::check"),
    c("dns.host-alias-hostname", "ValidateHostAliases/IsDNS1123Subdomain", "spec.hostAliases[*].hostnames[*]", r::K8S_DNS, "k8s::dns::check"),
    // Containers.
    c("container.name-required", "validateContainerCommon", "spec.containers[*].name", r::REQUIRED, "checks::pod::check_container"),
    c("container.name-dns1123", "validateContainerCommon/ValidateDNS1123Label", "spec.containers[*].name", r::DNS1123_NAME, "checks::pod::check_container"),
    c("container.name-unique", "validateContainers/validateInitContainers", "spec.containers[*].name", r::DUPLICATE_CONTAINER, "checks::pod::check_spec"),
    c("container.image-required", "validateContainerCommon", "spec.containers[*].image", r::REQUIRED, "checks::pod::check_container"),
    c("container.image-reference", "validateContainerCommon (reference grammar)", "spec.containers[*].image", r::IMAGE_REFERENCE, "checks::image::check"),
    c("container.image-pull-policy", "validatePullPolicy", "spec.containers[*].imagePullPolicy", r::IMAGE_PULL_POLICY, "checks::pod::check_container"),
    c("container.termination-message-policy", "validateContainerCommon", "spec.containers[*].terminationMessagePolicy", r::K8S_CONTAINER, "k8s::containers::check"),
    c("container.resize-resource", "validateResizePolicy", "spec.containers[*].resizePolicy[*].resourceName", r::K8S_CONTAINER, "k8s::containers::check"),
    c("container.resize-unique", "validateResizePolicy", "spec.containers[*].resizePolicy[*].resourceName", r::K8S_CONTAINER, "k8s::containers::check"),
    c("container.resize-restart-policy", "validateResizePolicy", "spec.containers[*].resizePolicy[*].restartPolicy", r::K8S_CONTAINER, "k8s::containers::check"),
    c("container.restart-policy-regular", "validateContainers (restartPolicy)", "spec.containers[*].restartPolicy", r::K8S_CONTAINER, "k8s::containers::check"),
    c("container.restart-policy-init", "validateInitContainers (sidecar)", "spec.initContainers[*].restartPolicy", r::K8S_CONTAINER, "k8s::containers::check"),
    c("container.init-no-probes", "validateInitContainers", "spec.initContainers[*].livenessProbe", r::K8S_CONTAINER, "k8s::containers::check"),
    c("container.init-no-lifecycle", "validateInitContainers", "spec.initContainers[*].lifecycle", r::K8S_CONTAINER, "k8s::containers::check"),
    c("container.device-name-required", "validateVolumeDevices", "spec.containers[*].volumeDevices[*].name", r::K8S_CONTAINER, "k8s::containers::devices"),
    c("container.device-volume-exists", "validateVolumeDevices", "spec.containers[*].volumeDevices[*].name", r::K8S_CONTAINER, "k8s::containers::devices"),
    c("container.device-volume-is-claim", "validateVolumeDevices", "spec.containers[*].volumeDevices[*].name", r::K8S_CONTAINER, "k8s::containers::devices"),
    c("container.device-not-mounted", "validateVolumeDevices", "spec.containers[*].volumeDevices[*].name", r::K8S_CONTAINER, "k8s::containers::devices"),
    c("container.device-path-required", "validateVolumeDevices", "spec.containers[*].volumeDevices[*].devicePath", r::K8S_CONTAINER, "k8s::containers::devices"),
    c("container.device-path-unique", "validateVolumeDevices", "spec.containers[*].volumeDevices[*].devicePath", r::K8S_CONTAINER, "k8s::containers::devices"),
    c("container.device-path-backsteps", "validateVolumeDevices", "spec.containers[*].volumeDevices[*].devicePath", r::K8S_CONTAINER, "k8s::containers::devices"),
    c("container.device-path-not-mount", "validateVolumeDevices", "spec.containers[*].volumeDevices[*].devicePath", r::K8S_CONTAINER, "k8s::containers::devices"),
    na("container.stop-signal", "validateContainerStopSignal", "spec.containers[*].lifecycle.stopSignal", "ContainerStopSignals is alpha in 1.33 and off by default: the API server drops the field"),
    na("container.ephemeral-fields", "validateEphemeralContainers", "spec.ephemeralContainers[*]", "ephemeral containers cannot be created with a pod (pod.ephemeral-containers-on-create)"),
    // Ports.
    c("port.container-port-range", "validateContainerPorts", "spec.containers[*].ports[*].containerPort", r::PORT, "checks::pod::check_ports"),
    c("port.host-port-range", "validateContainerPorts", "spec.containers[*].ports[*].hostPort", r::PORT, "checks::pod::check_ports"),
    c("port.protocol", "validateContainerPorts", "spec.containers[*].ports[*].protocol", r::PORT, "checks::pod::check_ports"),
    c("port.name", "validateContainerPorts/IsValidPortName", "spec.containers[*].ports[*].name", r::PORT, "checks::pod::check_ports"),
    c("port.name-unique", "validateContainerPorts", "spec.containers[*].ports[*].name", r::DUPLICATE_PORT, "checks::pod::check_ports"),
    c("port.number-unique", "validateContainerPorts (stricter: Kubernetes warns)", "spec.containers[*].ports[*].containerPort", r::DUPLICATE_PORT, "checks::pod::check_ports"),
    c("port.host-ip", "validateContainerPorts/IsValidIP", "spec.containers[*].ports[*].hostIP", r::K8S_PORT, "k8s::ports::check"),
    c("port.host-network", "validateHostNetwork", "spec.containers[*].ports[*].hostPort", r::K8S_PORT, "k8s::ports::check"),
    c("port.host-port-unique", "AccumulateUniqueHostPorts", "spec.containers[*].ports[*].hostPort", r::K8S_PORT, "k8s::ports::check"),
    // Env.
    c("env.name", "validateEnv/IsEnvVarName", "spec.containers[*].env[*].name", r::ENV_NAME, "checks::pod::check_env"),
    c("env.value-and-value-from", "validateEnvVarValueFrom", "spec.containers[*].env[*].valueFrom", r::ENV_NAME, "checks::pod::check_env"),
    c("env.value-from-one-source", "validateEnvVarValueFrom", "spec.containers[*].env[*].valueFrom", r::K8S_ENV, "k8s::env::check"),
    c("env.field-path-required", "validateObjectFieldSelector", "spec.containers[*].env[*].valueFrom.fieldRef.fieldPath", r::K8S_ENV, "k8s::env::field_ref"),
    c("env.field-path-supported", "validateObjectFieldSelector", "spec.containers[*].env[*].valueFrom.fieldRef.fieldPath", r::K8S_ENV, "k8s::env::field_ref"),
    c("env.field-api-version", "validateObjectFieldSelector", "spec.containers[*].env[*].valueFrom.fieldRef.apiVersion", r::K8S_ENV, "k8s::env::field_ref"),
    c("env.field-path-subscript", "validateObjectFieldSelector (labels['…'])", "spec.containers[*].env[*].valueFrom.fieldRef.fieldPath", r::K8S_ENV, "k8s::env::field_ref"),
    c("env.resource-required", "validateContainerResourceFieldSelector", "spec.containers[*].env[*].valueFrom.resourceFieldRef.resource", r::K8S_ENV, "k8s::env::resource_ref"),
    c("env.resource-supported", "validateContainerResourceFieldSelector", "spec.containers[*].env[*].valueFrom.resourceFieldRef.resource", r::K8S_ENV, "k8s::env::resource_ref"),
    c("env.resource-container", "validateContainerResourceFieldSelector", "spec.containers[*].env[*].valueFrom.resourceFieldRef.containerName", r::K8S_ENV, "k8s::env::resource_ref"),
    c("env.resource-divisor", "validateContainerResourceDivisor", "spec.containers[*].env[*].valueFrom.resourceFieldRef.divisor", r::K8S_ENV, "k8s::env::resource_ref"),
    c("env.config-map-key-name", "validateConfigMapKeySelector", "spec.containers[*].env[*].valueFrom.configMapKeyRef.name", r::K8S_ENV, "k8s::env::key_ref"),
    c("env.config-map-key", "validateConfigMapKeySelector/IsConfigMapKey", "spec.containers[*].env[*].valueFrom.configMapKeyRef.key", r::K8S_ENV, "k8s::env::key_ref"),
    c("env.secret-key-name", "validateSecretKeySelector", "spec.containers[*].env[*].valueFrom.secretKeyRef.name", r::K8S_ENV, "k8s::env::key_ref"),
    c("env.secret-key", "validateSecretKeySelector/IsConfigMapKey", "spec.containers[*].env[*].valueFrom.secretKeyRef.key", r::K8S_ENV, "k8s::env::key_ref"),
    c("env-from.prefix", "validateEnvFrom/IsEnvVarName", "spec.containers[*].envFrom[*].prefix", r::K8S_ENV, "k8s::env::check"),
    c("env-from.one-source", "validateEnvFrom", "spec.containers[*].envFrom[*]", r::K8S_ENV, "k8s::env::check"),
    c("env-from.config-map-name", "validateConfigMapEnvSource", "spec.containers[*].envFrom[*].configMapRef.name", r::K8S_ENV, "k8s::env::check"),
    c("env-from.secret-name", "validateSecretEnvSource", "spec.containers[*].envFrom[*].secretRef.name", r::K8S_ENV, "k8s::env::check"),
    // Resources.
    c("resources.quantity", "ValidateResourceQuantityValue", "spec.containers[*].resources.limits.<resource>", r::QUANTITY, "checks::pod::check_resources"),
    c("resources.non-negative", "ValidateResourceQuantityValue", "spec.containers[*].resources.requests.<resource>", r::QUANTITY, "checks::pod::check_resources"),
    c("resources.request-within-limit", "ValidateResourceRequirements", "spec.containers[*].resources.requests.<resource>", r::QUANTITY, "checks::pod::check_resources"),
    c("resources.name-qualified", "validateResourceName", "spec.containers[*].resources.limits.<resource>", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.name-standard", "validateContainerResourceName", "spec.containers[*].resources.limits.<resource>", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.extended-name", "validateContainerResourceName (IsExtendedResourceName)", "spec.containers[*].resources.limits.<resource>", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.extended-integer", "ValidateResourceQuantityValue (IsIntegerResourceName)", "spec.containers[*].resources.limits.<resource>", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.no-overcommit-limit", "ValidateResourceRequirements (IsOvercommitAllowed)", "spec.containers[*].resources.requests.<resource>", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.no-overcommit-equal", "ValidateResourceRequirements (IsOvercommitAllowed)", "spec.containers[*].resources.requests.<resource>", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.hugepages-need-cpu-or-memory", "ValidateResourceRequirements", "spec.containers[*].resources", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.claim-required", "validateResourceClaimNames", "spec.containers[*].resources.claims[*].name", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.claim-unique", "validateResourceClaimNames", "spec.containers[*].resources.claims[*].name", r::K8S_RESOURCES, "k8s::resources::check"),
    c("resources.claim-exists", "validateResourceClaimNames", "spec.containers[*].resources.claims[*].name", r::K8S_RESOURCES, "k8s::resources::check"),
    // Volume mounts.
    c("mount.volume-exists", "validateVolumeMounts", "spec.containers[*].volumeMounts[*].name", r::VOLUME_MOUNT, "checks::pod::check_mounts"),
    c("mount.path", "validateVolumeMounts (mountPath required)", "spec.containers[*].volumeMounts[*].mountPath", r::VOLUME_MOUNT, "checks::pod::check_mounts"),
    c("mount.path-unique", "validateVolumeMounts", "spec.containers[*].volumeMounts[*].mountPath", r::VOLUME_MOUNT, "checks::pod::check_mounts"),
    c("mount.sub-path", "validateVolumeMounts/validateLocalDescendingPath", "spec.containers[*].volumeMounts[*].subPath", r::K8S_MOUNT, "k8s::mounts::check"),
    c("mount.sub-path-absolute", "validateVolumeMounts/validateLocalDescendingPath", "spec.containers[*].volumeMounts[*].subPath", r::K8S_MOUNT, "k8s::mounts::check"),
    c("mount.sub-path-expr", "validateVolumeMounts (subPathExpr)", "spec.containers[*].volumeMounts[*].subPathExpr", r::K8S_MOUNT, "k8s::mounts::check"),
    c("mount.sub-path-exclusive", "validateVolumeMounts", "spec.containers[*].volumeMounts[*].subPathExpr", r::K8S_MOUNT, "k8s::mounts::check"),
    c("mount.propagation", "validateMountPropagation", "spec.containers[*].volumeMounts[*].mountPropagation", r::K8S_MOUNT, "k8s::mounts::check"),
    c("mount.propagation-privileged", "validateMountPropagation", "spec.containers[*].volumeMounts[*].mountPropagation", r::K8S_MOUNT, "k8s::mounts::check"),
    c("mount.recursive-read-only", "validateMountRecursiveReadOnly", "spec.containers[*].volumeMounts[*].recursiveReadOnly", r::K8S_MOUNT, "k8s::mounts::check"),
    c("mount.recursive-read-only-needs-read-only", "validateMountRecursiveReadOnly", "spec.containers[*].volumeMounts[*].recursiveReadOnly", r::K8S_MOUNT, "k8s::mounts::check"),
    c("mount.recursive-read-only-propagation", "validateMountRecursiveReadOnly", "spec.containers[*].volumeMounts[*].recursiveReadOnly", r::K8S_MOUNT, "k8s::mounts::check"),
    // Probes and lifecycle.
    c("probe.one-handler", "validateProbe/validateHandler", "spec.containers[*].livenessProbe", r::PROBE_HANDLER, "checks::pod::check_probe"),
    c("probe.non-negative", "validateProbe/ValidateNonnegativeField", "spec.containers[*].livenessProbe.periodSeconds", r::K8S_PROBE, "k8s::probes::numbers"),
    c("probe.termination-grace-positive", "validateProbe", "spec.containers[*].livenessProbe.terminationGracePeriodSeconds", r::K8S_PROBE, "k8s::probes::numbers"),
    c("probe.success-threshold-one", "validateContainers (liveness/startup)", "spec.containers[*].livenessProbe.successThreshold", r::K8S_PROBE, "k8s::probes::check"),
    c("probe.readiness-no-grace", "validateContainers (readiness)", "spec.containers[*].readinessProbe.terminationGracePeriodSeconds", r::K8S_PROBE, "k8s::probes::check"),
    c("probe.exec-command", "validateExecAction", "spec.containers[*].livenessProbe.exec.command", r::K8S_PROBE, "k8s::probes::exec"),
    c("probe.http-port", "validateHTTPGetAction/validatePortNumOrName", "spec.containers[*].livenessProbe.httpGet.port", r::K8S_PROBE, "k8s::probes::port"),
    c("probe.http-port-name", "validatePortNumOrName/IsValidPortName", "spec.containers[*].livenessProbe.httpGet.port", r::K8S_PROBE, "k8s::probes::port"),
    c("probe.http-scheme", "validateHTTPGetAction", "spec.containers[*].livenessProbe.httpGet.scheme", r::K8S_PROBE, "k8s::probes::http_get"),
    c("probe.http-header", "validateHTTPGetAction/IsHTTPHeaderName", "spec.containers[*].livenessProbe.httpGet.httpHeaders[*].name", r::K8S_PROBE, "k8s::probes::http_get"),
    c("probe.tcp-port", "validateTCPSocketAction", "spec.containers[*].livenessProbe.tcpSocket.port", r::K8S_PROBE, "k8s::probes::port"),
    c("probe.grpc-port", "validateGRPCAction", "spec.containers[*].livenessProbe.grpc.port", r::K8S_PROBE, "k8s::probes::check"),
    c("lifecycle.handler-required", "validateLifecycleHandler", "spec.containers[*].lifecycle.postStart", r::K8S_PROBE, "k8s::probes::lifecycle"),
    c("lifecycle.one-handler", "validateLifecycleHandler", "spec.containers[*].lifecycle.preStop", r::K8S_PROBE, "k8s::probes::lifecycle"),
    c("lifecycle.sleep-seconds", "validateSleepAction", "spec.containers[*].lifecycle.preStop.sleep.seconds", r::K8S_PROBE, "k8s::probes::lifecycle"),
    // Security context.
    c("security.pod-run-as-user", "validatePodSecurityContext/ValidateUserID", "spec.securityContext.runAsUser", r::K8S_SECURITY, "k8s::security::check"),
    c("security.pod-run-as-group", "validatePodSecurityContext/ValidateGroupID", "spec.securityContext.runAsGroup", r::K8S_SECURITY, "k8s::security::check"),
    c("security.fs-group", "validatePodSecurityContext/ValidateGroupID", "spec.securityContext.fsGroup", r::K8S_SECURITY, "k8s::security::check"),
    c("security.supplemental-groups", "validatePodSecurityContext/ValidateGroupID", "spec.securityContext.supplementalGroups[*]", r::K8S_SECURITY, "k8s::security::check"),
    c("security.fs-group-change-policy", "validateFSGroupChangePolicy", "spec.securityContext.fsGroupChangePolicy", r::K8S_SECURITY, "k8s::security::check"),
    c("security.supplemental-groups-policy", "validateSupplementalGroupsPolicy", "spec.securityContext.supplementalGroupsPolicy", r::K8S_SECURITY, "k8s::security::check"),
    c("security.selinux-change-policy", "validateSELinuxChangePolicy", "spec.securityContext.seLinuxChangePolicy", r::K8S_SECURITY, "k8s::security::check"),
    c("security.sysctl-name-required", "validateSysctls", "spec.securityContext.sysctls[*].name", r::K8S_SECURITY, "k8s::security::check"),
    c("security.sysctl-name", "validateSysctls/IsValidSysctlName", "spec.securityContext.sysctls[*].name", r::K8S_SECURITY, "k8s::security::check"),
    c("security.sysctl-unique", "validateSysctls", "spec.securityContext.sysctls[*].name", r::K8S_SECURITY, "k8s::security::check"),
    c("security.sysctl-host-net", "validateSysctls (hostNetwork)", "spec.securityContext.sysctls[*].name", r::K8S_SECURITY, "k8s::security::check"),
    c("security.sysctl-host-ipc", "validateSysctls (hostIPC)", "spec.securityContext.sysctls[*].name", r::K8S_SECURITY, "k8s::security::check"),
    c("security.seccomp-type", "validateSeccompProfileField", "spec.securityContext.seccompProfile.type", r::K8S_SECURITY, "k8s::security::seccomp"),
    c("security.seccomp-localhost-required", "validateSeccompProfileField", "spec.securityContext.seccompProfile.localhostProfile", r::K8S_SECURITY, "k8s::security::seccomp"),
    c("security.seccomp-localhost-forbidden", "validateSeccompProfileField", "spec.securityContext.seccompProfile.localhostProfile", r::K8S_SECURITY, "k8s::security::seccomp"),
    c("security.seccomp-localhost-path", "validateSeccompProfileField/validateLocalDescendingPath", "spec.securityContext.seccompProfile.localhostProfile", r::K8S_SECURITY, "k8s::security::seccomp"),
    c("security.apparmor-type", "ValidateAppArmorProfileField", "spec.securityContext.appArmorProfile.type", r::K8S_SECURITY, "k8s::security::apparmor"),
    c("security.apparmor-localhost-required", "ValidateAppArmorProfileField", "spec.securityContext.appArmorProfile.localhostProfile", r::K8S_SECURITY, "k8s::security::apparmor"),
    c("security.apparmor-localhost-forbidden", "ValidateAppArmorProfileField", "spec.securityContext.appArmorProfile.localhostProfile", r::K8S_SECURITY, "k8s::security::apparmor"),
    c("security.apparmor-localhost-length", "ValidateAppArmorProfileField (4095)", "spec.securityContext.appArmorProfile.localhostProfile", r::K8S_SECURITY, "k8s::security::apparmor"),
    c("security.apparmor-annotation-container", "ValidateAppArmorPodAnnotations", "metadata.annotations.<key>", r::K8S_SECURITY, "k8s::security::annotations"),
    c("security.apparmor-annotation-profile", "ValidateAppArmorProfileFormat", "metadata.annotations.<key>", r::K8S_SECURITY, "k8s::security::annotations"),
    c("security.seccomp-annotation", "ValidateSeccompPodAnnotations/ValidateSeccompProfile", "metadata.annotations.<key>", r::K8S_SECURITY, "k8s::security::annotations"),
    c("security.run-as-user", "ValidateSecurityContext/ValidateUserID", "spec.containers[*].securityContext.runAsUser", r::K8S_SECURITY, "k8s::security::container"),
    c("security.run-as-group", "ValidateSecurityContext/ValidateGroupID", "spec.containers[*].securityContext.runAsGroup", r::K8S_SECURITY, "k8s::security::container"),
    c("security.privileged-escalation", "ValidateSecurityContext", "spec.containers[*].securityContext.allowPrivilegeEscalation", r::K8S_SECURITY, "k8s::security::container"),
    c("security.sys-admin-escalation", "ValidateSecurityContext", "spec.containers[*].securityContext.allowPrivilegeEscalation", r::K8S_SECURITY, "k8s::security::container"),
    c("security.proc-mount", "ValidateSecurityContext/validateProcMountType", "spec.containers[*].securityContext.procMount", r::K8S_SECURITY, "k8s::security::container"),
    c("security.proc-mount-unmasked", "validateContainerProcMount (hostUsers)", "spec.containers[*].securityContext.procMount", r::K8S_SECURITY, "k8s::security::container"),
    na("security.capability-names", "ValidateSecurityContext", "spec.containers[*].securityContext.capabilities", "Kubernetes does not validate capability names; the runtime rejects unknown ones"),
    na("security.selinux-options", "validateSELinuxOptions", "spec.securityContext.seLinuxOptions", "only judged with the SELinuxMount feature and a mount option; the fields are free text otherwise"),
    c("windows.gmsa-credential-spec-name", "validateWindowsSecurityContextOptions", "spec.securityContext.windowsOptions.gmsaCredentialSpecName", r::K8S_SECURITY, "k8s::windows::options"),
    c("windows.gmsa-credential-spec", "validateWindowsSecurityContextOptions (64 KiB)", "spec.containers[*].securityContext.windowsOptions.gmsaCredentialSpec", r::K8S_SECURITY, "k8s::windows::options"),
    c("windows.run-as-user-name", "validateWindowsSecurityContextOptions (runAsUserName)", "spec.containers[*].securityContext.windowsOptions.runAsUserName", r::K8S_SECURITY, "k8s::windows::options"),
    c("windows.host-process-host-network", "validateWindowsHostProcessPod", "spec.hostNetwork", r::K8S_SECURITY, "k8s::windows::check"),
    c("windows.host-process-all", "validateWindowsHostProcessPod", "spec.containers[*].securityContext.windowsOptions.hostProcess", r::K8S_SECURITY, "k8s::windows::check"),
    // Scheduling.
    c("scheduling.node-selector", "ValidatePodSpec/ValidateLabels", "spec.nodeSelector.<key>", r::K8S_SCHEDULING, "k8s::scheduling::check"),
    c("toleration.key", "validateTolerations/IsQualifiedName", "spec.tolerations[*].key", r::K8S_SCHEDULING, "k8s::scheduling::toleration"),
    c("toleration.empty-key-exists", "validateTolerations", "spec.tolerations[*].operator", r::K8S_SCHEDULING, "k8s::scheduling::toleration"),
    c("toleration.seconds-no-execute", "validateTolerations", "spec.tolerations[*].effect", r::K8S_SCHEDULING, "k8s::scheduling::toleration"),
    c("toleration.operator", "validateTolerations", "spec.tolerations[*].operator", r::K8S_SCHEDULING, "k8s::scheduling::toleration"),
    c("toleration.exists-no-value", "validateTolerations", "spec.tolerations[*].operator", r::K8S_SCHEDULING, "k8s::scheduling::toleration"),
    c("toleration.value", "validateTolerations/IsValidLabelValue", "spec.tolerations[*].value", r::K8S_SCHEDULING, "k8s::scheduling::toleration"),
    c("toleration.effect", "validateTaintEffect", "spec.tolerations[*].effect", r::K8S_SCHEDULING, "k8s::scheduling::toleration"),
    c("affinity.node-terms-required", "ValidateNodeSelector", "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", r::K8S_SCHEDULING, "k8s::scheduling::check"),
    c("affinity.node-operator", "ValidateNodeSelectorRequirement", "spec.affinity.nodeAffinity.*.matchExpressions[*].operator", r::K8S_SCHEDULING, "k8s::scheduling::node_term"),
    c("affinity.node-values-in", "ValidateNodeSelectorRequirement (In/NotIn)", "spec.affinity.nodeAffinity.*.matchExpressions[*].values", r::K8S_SCHEDULING, "k8s::scheduling::node_term"),
    c("affinity.node-values-exists", "ValidateNodeSelectorRequirement (Exists/DoesNotExist)", "spec.affinity.nodeAffinity.*.matchExpressions[*].values", r::K8S_SCHEDULING, "k8s::scheduling::node_term"),
    c("affinity.node-values-gt-lt", "ValidateNodeSelectorRequirement (Gt/Lt)", "spec.affinity.nodeAffinity.*.matchExpressions[*].values", r::K8S_SCHEDULING, "k8s::scheduling::node_term"),
    c("affinity.node-key", "ValidateNodeSelectorRequirement/ValidateLabelName", "spec.affinity.nodeAffinity.*.matchExpressions[*].key", r::K8S_SCHEDULING, "k8s::scheduling::node_term"),
    c("affinity.node-field-key", "ValidateNodeFieldSelectorRequirement", "spec.affinity.nodeAffinity.*.matchFields[*].key", r::K8S_SCHEDULING, "k8s::scheduling::node_term"),
    c("affinity.node-field-values", "ValidateNodeFieldSelectorRequirement", "spec.affinity.nodeAffinity.*.matchFields[*].values", r::K8S_SCHEDULING, "k8s::scheduling::node_term"),
    c("affinity.weight", "validatePreferredSchedulingTerms/validateWeightedPodAffinityTerms", "spec.affinity.*.preferredDuringSchedulingIgnoredDuringExecution[*].weight", r::K8S_SCHEDULING, "k8s::scheduling::weight"),
    c("affinity.pod-topology-key", "validatePodAffinityTerm", "spec.affinity.podAffinity.*.topologyKey", r::K8S_SCHEDULING, "k8s::scheduling::pod_term"),
    c("affinity.pod-label-selector", "validatePodAffinityTerm/ValidateLabelSelector", "spec.affinity.podAffinity.*.labelSelector", r::K8S_SCHEDULING, "k8s::scheduling::selector"),
    c("affinity.pod-namespaces", "validatePodAffinityTerm/ValidateNamespaceName", "spec.affinity.podAffinity.*.namespaces[*]", r::K8S_SCHEDULING, "k8s::scheduling::pod_term"),
    c("affinity.pod-match-label-keys", "validatePodAffinityTerm (matchLabelKeys)", "spec.affinity.podAffinity.*.matchLabelKeys[*]", r::K8S_SCHEDULING, "k8s::scheduling::pod_term"),
    c("spread.max-skew", "validateTopologySpreadConstraints", "spec.topologySpreadConstraints[*].maxSkew", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.topology-key", "validateTopologySpreadConstraints", "spec.topologySpreadConstraints[*].topologyKey", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.when-unsatisfiable", "validateTopologySpreadConstraints", "spec.topologySpreadConstraints[*].whenUnsatisfiable", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.min-domains", "validateMinDomains", "spec.topologySpreadConstraints[*].minDomains", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.min-domains-do-not-schedule", "validateMinDomains", "spec.topologySpreadConstraints[*].minDomains", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.unique", "validateTopologySpreadConstraints", "spec.topologySpreadConstraints[*].topologyKey", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.node-policies", "validateNodeAffinityPolicy/validateNodeTaintsPolicy", "spec.topologySpreadConstraints[*].nodeAffinityPolicy", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.label-selector", "validateTopologySpreadConstraints/ValidateLabelSelector", "spec.topologySpreadConstraints[*].labelSelector", r::K8S_SCHEDULING, "k8s::scheduling::selector"),
    c("spread.match-label-keys", "validateMatchLabelKeysInTopologySpread", "spec.topologySpreadConstraints[*].matchLabelKeys[*]", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.match-label-keys-need-selector", "validateMatchLabelKeysInTopologySpread", "spec.topologySpreadConstraints[*].matchLabelKeys[*]", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    c("spread.match-label-keys-not-in-selector", "validateMatchLabelKeysInTopologySpread", "spec.topologySpreadConstraints[*].matchLabelKeys[*]", r::K8S_SCHEDULING, "k8s::scheduling::spread"),
    // Volumes.
    c("volume.name", "ValidateVolumes/ValidateDNS1123Label", "spec.volumes[*].name", r::DNS1123_NAME, "checks::pod::check_volumes"),
    c("volume.name-unique", "ValidateVolumes", "spec.volumes[*].name", r::VOLUME, "checks::pod::check_volumes"),
    c("volume.one-source", "validateVolumeSource", "spec.volumes[*]", r::VOLUME, "checks::pod::check_volumes"),
    c("volume.host-path-required", "validateHostPathVolumeSource", "spec.volumes[*].hostPath.path", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.host-path-backsteps", "validatePathNoBacksteps", "spec.volumes[*].hostPath.path", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.host-path-type", "validateHostPathType", "spec.volumes[*].hostPath.type", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.empty-dir-medium", "validateEmptyDirVolumeSource (medium)", "spec.volumes[*].emptyDir.medium", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.empty-dir-size-limit", "validateEmptyDirVolumeSource (sizeLimit)", "spec.volumes[*].emptyDir.sizeLimit", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.secret-name", "validateSecretVolumeSource", "spec.volumes[*].secret.secretName", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.secret-default-mode", "validateSecretVolumeSource", "spec.volumes[*].secret.defaultMode", r::K8S_VOLUME, "k8s::volumes::mode"),
    c("volume.config-map-name", "validateConfigMapVolumeSource", "spec.volumes[*].configMap.name", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.config-map-default-mode", "validateConfigMapVolumeSource", "spec.volumes[*].configMap.defaultMode", r::K8S_VOLUME, "k8s::volumes::mode"),
    c("volume.item-key", "validateKeyToPath", "spec.volumes[*].configMap.items[*].key", r::K8S_VOLUME, "k8s::volumes::items"),
    c("volume.item-path-required", "validateKeyToPath", "spec.volumes[*].secret.items[*].path", r::K8S_VOLUME, "k8s::volumes::file_path"),
    c("volume.item-path", "validateLocalNonReservedPath", "spec.volumes[*].configMap.items[*].path", r::K8S_VOLUME, "k8s::volumes::file_path"),
    c("volume.item-mode", "validateKeyToPath", "spec.volumes[*].configMap.items[*].mode", r::K8S_VOLUME, "k8s::volumes::mode"),
    c("volume.downward-api-default-mode", "validateDownwardAPIVolumeSource", "spec.volumes[*].downwardAPI.defaultMode", r::K8S_VOLUME, "k8s::volumes::mode"),
    c("volume.downward-api-one-ref", "validateDownwardAPIVolumeFile", "spec.volumes[*].downwardAPI.items[*]", r::K8S_VOLUME, "k8s::volumes::downward"),
    c("volume.downward-api-field", "validateDownwardAPIVolumeFile/validateObjectFieldSelector", "spec.volumes[*].downwardAPI.items[*].fieldRef.fieldPath", r::K8S_ENV, "k8s::env::field_ref"),
    c("volume.downward-api-container", "validateDownwardAPIVolumeFile (containerName required)", "spec.volumes[*].downwardAPI.items[*].resourceFieldRef.containerName", r::K8S_ENV, "k8s::env::resource_ref"),
    c("volume.projected-default-mode", "validateProjectedVolumeSource", "spec.volumes[*].projected.defaultMode", r::K8S_VOLUME, "k8s::volumes::mode"),
    c("volume.projected-one-type", "validateProjectionSources", "spec.volumes[*].projected.sources[*]", r::K8S_VOLUME, "k8s::volumes::projected"),
    c("volume.projected-duplicate-path", "validateProjectionSources", "spec.volumes[*].projected.sources[*].*.path", r::K8S_VOLUME, "k8s::volumes::file_path"),
    c("volume.projected-name", "validateProjectionSources (secret/configMap name)", "spec.volumes[*].projected.sources[*].secret.name", r::K8S_VOLUME, "k8s::volumes::projected"),
    c("volume.token-expiration-min", "validateProjectionSources (10 minutes)", "spec.volumes[*].projected.sources[*].serviceAccountToken.expirationSeconds", r::K8S_VOLUME, "k8s::volumes::projected"),
    c("volume.token-expiration-max", "validateProjectionSources (2^32 s)", "spec.volumes[*].projected.sources[*].serviceAccountToken.expirationSeconds", r::K8S_VOLUME, "k8s::volumes::projected"),
    c("volume.token-path", "validateProjectionSources", "spec.volumes[*].projected.sources[*].serviceAccountToken.path", r::K8S_VOLUME, "k8s::volumes::file_path"),
    c("volume.pvc-claim-name", "validatePersistentClaimVolumeSource", "spec.volumes[*].persistentVolumeClaim.claimName", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.ephemeral-template", "validateEphemeralVolumeSource", "spec.volumes[*].ephemeral.volumeClaimTemplate", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.ephemeral-access-modes", "ValidatePersistentVolumeClaimSpec", "spec.volumes[*].ephemeral.volumeClaimTemplate.spec.accessModes", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.ephemeral-access-mode-value", "ValidatePersistentVolumeClaimSpec", "spec.volumes[*].ephemeral.volumeClaimTemplate.spec.accessModes[*]", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.ephemeral-volume-mode", "ValidatePersistentVolumeClaimSpec", "spec.volumes[*].ephemeral.volumeClaimTemplate.spec.volumeMode", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.ephemeral-storage", "ValidatePersistentVolumeClaimSpec", "spec.volumes[*].ephemeral.volumeClaimTemplate.spec.resources.requests.storage", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.nfs-server", "validateNFSVolumeSource", "spec.volumes[*].nfs.server", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.nfs-path", "validateNFSVolumeSource", "spec.volumes[*].nfs.path", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.iscsi-target-portal", "validateISCSIVolumeSource", "spec.volumes[*].iscsi.targetPortal", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.iscsi-iqn", "validateISCSIVolumeSource", "spec.volumes[*].iscsi.iqn", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.iscsi-lun", "validateISCSIVolumeSource", "spec.volumes[*].iscsi.lun", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.iscsi-chap-secret", "validateISCSIVolumeSource", "spec.volumes[*].iscsi.secretRef", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.git-repo", "validateGitRepoVolumeSource", "spec.volumes[*].gitRepo.repository", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.git-repo-directory", "validateGitRepoVolumeSource", "spec.volumes[*].gitRepo.directory", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.rbd", "validateRBDVolumeSource", "spec.volumes[*].rbd.monitors", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.cephfs", "validateCephFSVolumeSource", "spec.volumes[*].cephfs.monitors", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.glusterfs", "validateGlusterfsVolumeSource", "spec.volumes[*].glusterfs.endpoints", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.fc-targets", "validateFCVolumeSource", "spec.volumes[*].fc.targetWWNs", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.fc-lun", "validateFCVolumeSource", "spec.volumes[*].fc.lun", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.csi-driver", "validateCSIVolumeSource/ValidateCSIDriverName", "spec.volumes[*].csi.driver", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.flex-driver", "validateFlexVolumeSource", "spec.volumes[*].flexVolume.driver", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.cloud-disk-ids", "validate{Cinder,AWSElasticBlockStore,GCEPersistentDisk,AzureDisk,AzureFile,Quobyte,VsphereVolume,PhotonPersistentDisk,PortworxVolume,ScaleIO}VolumeSource", "spec.volumes[*].<source>.<id>", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.storageos", "validateStorageOSVolumeSource", "spec.volumes[*].storageos.volumeName", r::K8S_VOLUME, "k8s::volumes::source"),
    c("volume.flocker", "validateFlockerVolumeSource", "spec.volumes[*].flocker", r::K8S_VOLUME, "k8s::volumes::source"),
    na("volume.image", "validateImageVolumeSource", "spec.volumes[*].image", "ImageVolume is beta but off by default in 1.33: the API server drops the field"),
    na("volume.cluster-trust-bundle", "validateClusterTrustBundleProjection", "spec.volumes[*].projected.sources[*].clusterTrustBundle", "ClusterTrustBundleProjection is beta but off by default in 1.33: the API server drops the field"),
    // Deployment.
    c("deployment.replicas", "ValidateDeploymentSpec/ValidateNonnegativeField", "spec.replicas", r::REPLICAS, "checks::check"),
    c("deployment.selector-required", "ValidateDeploymentSpec", "spec.selector", r::SELECTOR, "checks::check_selector"),
    c("deployment.selector-matches", "ValidateDeploymentSpec (selector does not match template labels)", "spec.selector.matchLabels.<key>", r::SELECTOR, "checks::check_selector"),
    c("deployment.selector-operator", "ValidateLabelSelectorRequirement", "spec.selector.matchExpressions[*].operator", r::SELECTOR, "checks::check_selector"),
    c("deployment.selector-syntax", "ValidateLabelSelector", "spec.selector.matchLabels.<key>", r::K8S_DEPLOYMENT, "k8s::scheduling::selector_with"),
    c("deployment.restart-policy", "ValidatePodTemplateSpecForReplicaSet", "spec.template.spec.restartPolicy", r::RESTART_POLICY, "checks::pod::check_restart_policy"),
    c("deployment.active-deadline", "ValidatePodTemplateSpecForReplicaSet", "spec.template.spec.activeDeadlineSeconds", r::K8S_POD, "k8s::pod::check"),
    c("deployment.template-labels", "ValidatePodTemplateSpec/ValidateLabels", "spec.template.metadata.labels.<key>", r::LABEL, "checks::check_labels"),
    c("deployment.strategy-type", "ValidateDeploymentStrategy", "spec.strategy.type", r::K8S_DEPLOYMENT, "k8s::deployment::check"),
    c("deployment.recreate-no-rolling-update", "ValidateDeploymentStrategy", "spec.strategy.rollingUpdate", r::K8S_DEPLOYMENT, "k8s::deployment::check"),
    c("deployment.max-unavailable", "ValidateRollingUpdateDeployment/ValidatePositiveIntOrPercent", "spec.strategy.rollingUpdate.maxUnavailable", r::K8S_DEPLOYMENT, "k8s::deployment::int_or_percent"),
    c("deployment.max-unavailable-100", "ValidateRollingUpdateDeployment/IsNotMoreThan100Percent", "spec.strategy.rollingUpdate.maxUnavailable", r::K8S_DEPLOYMENT, "k8s::deployment::int_or_percent"),
    c("deployment.max-surge", "ValidateRollingUpdateDeployment/ValidatePositiveIntOrPercent", "spec.strategy.rollingUpdate.maxSurge", r::K8S_DEPLOYMENT, "k8s::deployment::int_or_percent"),
    c("deployment.surge-and-unavailable-zero", "ValidateRollingUpdateDeployment", "spec.strategy.rollingUpdate.maxUnavailable", r::K8S_DEPLOYMENT, "k8s::deployment::check"),
    c("deployment.min-ready-seconds", "ValidateDeploymentSpec", "spec.minReadySeconds", r::K8S_DEPLOYMENT, "k8s::deployment::check"),
    c("deployment.revision-history-limit", "ValidateDeploymentSpec", "spec.revisionHistoryLimit", r::K8S_DEPLOYMENT, "k8s::deployment::check"),
    c("deployment.progress-deadline", "ValidateDeploymentSpec", "spec.progressDeadlineSeconds", r::K8S_DEPLOYMENT, "k8s::deployment::check"),
    c("deployment.progress-deadline-after-min-ready", "ValidateDeploymentSpec", "spec.progressDeadlineSeconds", r::K8S_DEPLOYMENT, "k8s::deployment::check"),
    na("deployment.rollback", "ValidateDeploymentRollback", "rollbackTo", "extensions/v1beta1 only; apps/v1 has no rollback"),
    na("deployment.selector-immutable", "ValidateDeploymentUpdate", "spec.selector", UPDATE),
    na("deployment.status", "ValidateDeploymentStatus", "status", STATUS),
    // Job.
    c("job.parallelism", "validateJobSpec/ValidateNonnegativeField", "spec.parallelism", r::K8S_JOB, "k8s::job::check"),
    c("job.completions", "validateJobSpec/ValidateNonnegativeField", "spec.completions", r::K8S_JOB, "k8s::job::check"),
    c("job.backoff-limit", "validateJobSpec/ValidateNonnegativeField", "spec.backoffLimit", r::K8S_JOB, "k8s::job::check"),
    c("job.active-deadline", "validateJobSpec/ValidateNonnegativeField", "spec.activeDeadlineSeconds", r::K8S_JOB, "k8s::job::check"),
    c("job.ttl-seconds-after-finished", "validateJobSpec/ValidateNonnegativeField", "spec.ttlSecondsAfterFinished", r::K8S_JOB, "k8s::job::check"),
    c("job.restart-policy", "validateJobSpec (OnFailure or Never)", "spec.template.spec.restartPolicy", r::RESTART_POLICY, "checks::pod::check_restart_policy"),
    c("job.completion-mode", "validateJobSpec", "spec.completionMode", r::K8S_JOB, "k8s::job::check"),
    c("job.indexed-completions", "validateJobSpec (Indexed)", "spec.completions", r::K8S_JOB, "k8s::job::check"),
    c("job.indexed-parallelism", "validateJobSpec (maxParallelismForIndexedJob)", "spec.parallelism", r::K8S_JOB, "k8s::job::check"),
    c("job.backoff-limit-per-index", "validateJobSpec", "spec.backoffLimitPerIndex", r::K8S_JOB, "k8s::job::check"),
    c("job.max-failed-indexes-needs-per-index", "validateJobSpec", "spec.backoffLimitPerIndex", r::K8S_JOB, "k8s::job::check"),
    c("job.max-failed-indexes", "validateJobSpec", "spec.maxFailedIndexes", r::K8S_JOB, "k8s::job::check"),
    c("job.per-index-completions-max", "validateJobSpec (maxCompletionsWithBackoffLimitPerIndex)", "spec.completions", r::K8S_JOB, "k8s::job::check"),
    c("job.pod-replacement-policy", "validateJobSpec", "spec.podReplacementPolicy", r::K8S_JOB, "k8s::job::check"),
    c("job.failure-policy-replacement", "validateJobSpec (podFailurePolicy needs Failed)", "spec.podReplacementPolicy", r::K8S_JOB, "k8s::job::check"),
    c("job.failure-policy-restart-never", "validateJobSpec (podFailurePolicy needs Never)", "spec.template.spec.restartPolicy", r::K8S_JOB, "k8s::job::check"),
    c("job.failure-policy-rules-max", "validatePodFailurePolicy", "spec.podFailurePolicy.rules", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.failure-policy-action", "validatePodFailurePolicyRule", "spec.podFailurePolicy.rules[*].action", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.failure-policy-fail-index", "validatePodFailurePolicyRule", "spec.podFailurePolicy.rules[*].action", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.failure-policy-one-requirement", "validatePodFailurePolicyRule", "spec.podFailurePolicy.rules[*]", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.exit-codes-operator", "validatePodFailurePolicyRuleOnExitCodes", "spec.podFailurePolicy.rules[*].onExitCodes.operator", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.exit-codes-container", "validatePodFailurePolicyRuleOnExitCodes", "spec.podFailurePolicy.rules[*].onExitCodes.containerName", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.exit-codes-values-required", "validatePodFailurePolicyRuleOnExitCodes", "spec.podFailurePolicy.rules[*].onExitCodes.values", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.exit-codes-zero-in", "validatePodFailurePolicyRuleOnExitCodes", "spec.podFailurePolicy.rules[*].onExitCodes.values[*]", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.exit-codes-unique", "validatePodFailurePolicyRuleOnExitCodes", "spec.podFailurePolicy.rules[*].onExitCodes.values[*]", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.exit-codes-ordered", "validatePodFailurePolicyRuleOnExitCodes", "spec.podFailurePolicy.rules[*].onExitCodes.values[*]", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.pod-condition-status", "validatePodFailurePolicyRuleOnPodConditions", "spec.podFailurePolicy.rules[*].onPodConditions[*].status", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.pod-condition-type", "validatePodFailurePolicyRuleOnPodConditions", "spec.podFailurePolicy.rules[*].onPodConditions[*].type", r::K8S_JOB, "k8s::job::failure_policy"),
    c("job.success-policy-indexed", "validateSuccessPolicy", "spec.completionMode", r::K8S_JOB, "k8s::job::check"),
    c("job.success-policy-rules", "validateSuccessPolicy", "spec.successPolicy.rules", r::K8S_JOB, "k8s::job::check"),
    c("job.success-policy-rule", "validateSuccessPolicyRule", "spec.successPolicy.rules[*]", r::K8S_JOB, "k8s::job::check"),
    c("job.manual-selector-required", "ValidateJob (manualSelector)", "spec.selector", r::K8S_JOB, "k8s::job::check"),
    c("job.selector-generated", "validateGeneratedSelector", "spec.selector", r::K8S_JOB, "k8s::job::check"),
    c("job.managed-by", "validateJobSpec (managedBy)", "spec.managedBy", r::K8S_JOB, "k8s::job::check"),
    na("job.update-immutable", "ValidateJobUpdate", "spec.{completions,completionMode,template}", UPDATE),
    na("job.status", "ValidateJobStatusUpdate", "status", STATUS),
    na("job.success-policy-indexes", "validateIndexesFormat", "spec.successPolicy.rules[*].succeededIndexes", "the interval syntax is judged by the Job controller against completions; not re-implemented"),
    // ConfigMap and Secret.
    c("config-map.key", "ValidateConfigMap/IsConfigMapKey", "data.<key>", r::CONFIG_KEY, "checks::check_keys"),
    c("config-map.key-unique", "ValidateConfigMap (data and binaryData)", "binaryData.<key>", r::CONFIG_KEY, "checks::check_keys"),
    c("config-map.size", "ValidateConfigMap (1 MiB)", "data", r::K8S_DATA, "k8s::data::config_map"),
    c("secret.key", "ValidateSecret/IsConfigMapKey", "data.<key>", r::CONFIG_KEY, "checks::check_keys"),
    c("secret.size", "ValidateSecret (MaxSecretSize)", "data", r::K8S_DATA, "k8s::data::secret"),
    c("secret.service-account-token", "ValidateSecret (SecretTypeServiceAccountToken)", "metadata.annotations.<key>", r::K8S_DATA, "k8s::data::secret"),
    c("secret.dockercfg", "ValidateSecret (SecretTypeDockercfg)", "data.<key>", r::K8S_DATA, "k8s::data::json"),
    c("secret.dockerconfigjson", "ValidateSecret (SecretTypeDockerConfigJSON)", "data.<key>", r::K8S_DATA, "k8s::data::json"),
    c("secret.dockerconfigjson-valid", "ValidateSecret (json.Unmarshal)", "data.<key>", r::K8S_DATA, "k8s::data::json"),
    c("secret.basic-auth", "ValidateSecret (SecretTypeBasicAuth)", "data.<key>", r::K8S_DATA, "k8s::data::secret"),
    c("secret.ssh-auth", "ValidateSecret (SecretTypeSSHAuth)", "data.<key>", r::K8S_DATA, "k8s::data::secret"),
    c("secret.tls", "ValidateSecret (SecretTypeTLS)", "data.<key>", r::K8S_DATA, "k8s::data::secret"),
    na("secret.immutable", "ValidateSecretUpdate/ValidateConfigMapUpdate", "immutable", UPDATE),
    na("secret.type-immutable", "ValidateSecretUpdate", "type", UPDATE),
];

/// The catalogue as the Markdown table of `docs/pod-validation.md`.
pub fn markdown() -> String {
    let covered = RULES
        .iter()
        .filter(|r| matches!(r.status, Status::Covered { .. }))
        .count();
    let mut out = String::new();
    out.push_str("# Kubernetes pod validation in `ank validate`\n\n");
    out.push_str("<!-- Generated from podspec/src/checks/k8s/catalogue.rs by `UPDATE_EXPECT=1 cargo test -p podspec --test k8s_rules`; do not edit by hand. -->\n\n");
    out.push_str("`ank validate` (and `ank apply`, before it translates) runs the rules of the Kubernetes API server's\n");
    out.push_str("validation of pods, pod templates, Deployments, Jobs, ConfigMaps and Secrets offline (Kubernetes 1.33,\n");
    out.push_str("default feature gates). Each finding carries the rule id in the *finding* column (filter on it in CI)\n");
    out.push_str("and Kubernetes' field path; messages use Kubernetes' words (`invalid value: 0: must be between 1 and\n");
    out.push_str("65535, inclusive`). Every covered rule has a failing example in `podspec/tests/k8s_rules.yaml`.\n\n");
    out.push_str(&format!(
        "{} rules: {covered} covered, {} not applicable.\n\n",
        RULES.len(),
        RULES.len() - covered
    ));
    out.push_str(
        "| rule | Kubernetes function | field path | finding | status |\n|---|---|---|---|---|\n",
    );
    for r in RULES {
        let (finding, status) = match r.status {
            Status::Covered { finding, check } => {
                (format!("`{finding}`"), format!("covered by `{check}`"))
            }
            Status::NotApplicable(reason) => ("–".to_owned(), format!("not applicable: {reason}")),
        };
        out.push_str(&format!(
            "| `{}` | `{}` | `{}` | {finding} | {status} |\n",
            r.id,
            r.source,
            r.path.replace('|', "\\|"),
        ));
    }
    out
}
