#!/usr/bin/env bash
# Makes real Podman usable for Anchorage on a Debian machine (root, no systemd, cgroup v1 hybrid,
# no registry). Idempotent and quiet; writes nothing to /etc.
#
#   1. installs podman, runc, catatonit and busybox-static with apt-get when missing (and
#      openssl, with which the mTLS system tests make certificates: scripts/make-certs.sh);
#   2. points Podman at the project's scripts/containers.conf through CONTAINERS_CONF;
#   3. builds the local test image localhost/busybox:latest when it does not exist;
#   4. builds the images of Ankaios' SDK clients with scripts/sdk-images.sh (cached; a failure
#      there is only a warning here: the e2e SDK tests run it again and fail loudly).
#
# Use either way:
#   eval "$(scripts/podman-setup.sh)"     # run: progress on stderr, the export line on stdout
#   source scripts/podman-setup.sh        # sourced: exports CONTAINERS_CONF in the caller
_anchorage_podman_setup() {
    local here conf
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    conf="$here/containers.conf"
    export CONTAINERS_CONF="$conf"

    local missing=()
    command -v podman >/dev/null 2>&1 || missing+=(podman)
    command -v runc >/dev/null 2>&1 || missing+=(runc)
    # `kube play` builds its infra (pause) image locally around catatonit: only recommended by podman.
    command -v catatonit >/dev/null 2>&1 || missing+=(catatonit)
    # Debian's dynamic `busybox` also installs /bin/busybox; the image needs the static one.
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' \
        || missing+=(busybox-static)
    # Not Podman's: the project's one apt-get place, also for the mTLS tests' scripts/make-certs.sh.
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    # The network-partition test (e2e_netns): namespaces, veth, and dropped packets.
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    command -v iptables >/dev/null 2>&1 || missing+=(iptables)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "podman-setup: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi

    local image=localhost/busybox:latest
    if ! podman image exists "$image"; then
        echo "podman-setup: building $image from busybox-static" >&2
        local tmp
        tmp="$(mktemp -d)"
        # shellcheck disable=SC2064 # expand $tmp now: it is local
        trap "rm -rf '$tmp'" RETURN
        mkdir -p "$tmp/rootfs/bin" "$tmp/rootfs/tmp" "$tmp/rootfs/etc"
        cp /bin/busybox "$tmp/rootfs/bin/busybox"
        local applet
        for applet in $(/bin/busybox --list); do
            # `busybox` is in its own list: linking it would replace the binary with a loop.
            [ "$applet" = busybox ] && continue
            ln -sf busybox "$tmp/rootfs/bin/$applet"
        done
        tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
        podman import --quiet --change 'ENV PATH=/bin' --change 'CMD ["sh"]' \
            "$tmp/rootfs.tar" "$image" >/dev/null
    fi
    # stdout is the export line only.
    bash "$here/sdk-images.sh" >&2 \
        || echo "podman-setup: WARNING: scripts/sdk-images.sh failed; the e2e SDK tests will fail" >&2
    echo "export CONTAINERS_CONF=$conf"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced: run strict in a subshell so a failure neither kills nor reconfigures the caller.
    eval "$(set -euo pipefail; _anchorage_podman_setup)"
else
    set -euo pipefail
    _anchorage_podman_setup
fi
