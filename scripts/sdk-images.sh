#!/usr/bin/env bash
# Builds the local images in which Ankaios' own SDKs run as Anchorage workloads, with no
# registry (scripts/podman-setup.sh calls it; it needs its CONTAINERS_CONF and busybox-static):
#
#   localhost/ankaios-sdk-python:1.0.1  Debian's python3 (the host's /usr/bin/python3 with its
#       stdlib and the libraries `ldd` lists) + `ankaios-sdk==1.0.1` and its pinned dependencies
#       from PyPI + busybox; /app holds examples/parking-assistant/python/parking_control.py and
#       tests/sdk-clients/python/sdk_check.py.
#   localhost/ankaios-sdk-rust:1.0.1    busybox + the glibc libraries `ldd` lists + the binaries
#       parking_control and sdk_check (debug builds on crates.io `ankaios_sdk =1.0.1`, from
#       examples/parking-assistant/rust and tests/sdk-clients/rust, into target/sdk) in
#       /usr/local/bin.
#
# Idempotent and fast when nothing changed: each image carries the sha256 of its inputs in the
# label `anchorage.inputs` and is rebuilt only when that differs. Progress goes to stderr.
#
#   scripts/sdk-images.sh [python|rust]     # both when no argument
set -euo pipefail
only="${1:-}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
: "${CONTAINERS_CONF:=$here/containers.conf}"
export CONTAINERS_CONF

PY_IMAGE=localhost/ankaios-sdk-python:1.0.1
RS_IMAGE=localhost/ankaios-sdk-rust:1.0.1
# The Python SDK and exactly what it needs (its metadata pins protobuf; PyYAML is unpinned there).
PY_REQUIREMENTS=(ankaios-sdk==1.0.1 protobuf==6.33.5 PyYAML==6.0.2)

log() { echo "sdk-images: $*" >&2; }

missing=()
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler) # prost-build in ankaios_sdk
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The label of an image, empty when it does not exist.
label_of() {
    podman image inspect --format '{{index .Labels "anchorage.inputs"}}' "$1" 2>/dev/null || true
}

# Copies files into the rootfs $1 under their own paths, following symlinks to the real files
# but keeping the link names too.
copy_in() {
    local rootfs="$1" file real
    shift
    for file in "$@"; do
        real="$(readlink -f "$file")"
        mkdir -p "$rootfs$(dirname "$real")" "$rootfs$(dirname "$file")"
        [ -e "$rootfs$real" ] || cp -a "$real" "$rootfs$real"
        [ "$file" = "$real" ] || [ -e "$rootfs$file" ] || ln -s "$real" "$rootfs$file"
    done
}

# The shared libraries that `ldd` lists for the given ELF files.
libraries_of() {
    ldd "$@" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u
}

# A rootfs with the static busybox and its applet links in /bin, plus /tmp and /etc.
busybox_rootfs() {
    local rootfs="$1" applet
    mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/app"
    chmod 1777 "$rootfs/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    for applet in $(/bin/busybox --list); do
        # `busybox` is in its own list: linking it would replace the binary with a loop.
        [ "$applet" = busybox ] && continue
        ln -sf busybox "$rootfs/bin/$applet"
    done
}

import_rootfs() {
    local rootfs="$1" image="$2" inputs="$3"
    shift 3
    local args=(--change "LABEL anchorage.inputs=$inputs")
    local change
    for change in "$@"; do args+=(--change "$change"); done
    tar -C "$rootfs" -cf "$rootfs.tar" .
    podman import --quiet "${args[@]}" "$rootfs.tar" "$image" >/dev/null
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- Python ----------------------------------------------------------------------------------
py_scripts=("$root/examples/parking-assistant/python/parking_control.py"
    "$root/tests/sdk-clients/python/sdk_check.py")
py_inputs="$(cat "${BASH_SOURCE[0]}" "${py_scripts[@]}" /usr/bin/python3 | sha256sum | cut -c1-16)"
if [ "$only" != rust ] && [ "$(label_of "$PY_IMAGE")" != "$py_inputs" ]; then
    start=$SECONDS
    log "building $PY_IMAGE"
    rootfs="$tmp/python"
    busybox_rootfs "$rootfs"
    py=/usr/bin/python3
    version="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    stdlib="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"
    dynload="$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("DESTSHARED"))')"
    copy_in "$rootfs" "$py" "$(readlink -f "$py")"
    # The standard library without its tests and the distribution's own site packages.
    mkdir -p "$rootfs$stdlib"
    tar -C "$stdlib" --exclude=./test --exclude=./site-packages --exclude=./dist-packages \
        --exclude=./idlelib --exclude=./tkinter --exclude=./ensurepip -cf - . \
        | tar -C "$rootfs$stdlib" -xf -
    # shellcheck disable=SC2046 # one path per word
    copy_in "$rootfs" $(libraries_of "$py" "$dynload"/*.so)
    # The SDK and its dependencies as wheels for this interpreter, installed by any pip.
    site="/usr/local/lib/python$version/site-packages"
    pip=(/usr/bin/python3 -m pip)
    "${pip[@]}" --version >/dev/null 2>&1 || pip=(python3 -m pip)
    "${pip[@]}" install --quiet --disable-pip-version-check --root-user-action=ignore --no-warn-script-location \
        --target "$rootfs$site" --only-binary=:all: --python-version "$version" \
        --implementation cp --platform "manylinux2014_$(uname -m)" --platform "manylinux_2_17_$(uname -m)" \
        "${PY_REQUIREMENTS[@]}"
    cp "${py_scripts[@]}" "$rootfs/app/"
    import_rootfs "$rootfs" "$PY_IMAGE" "$py_inputs" \
        'ENV PATH=/usr/local/bin:/usr/bin:/bin' "ENV PYTHONPATH=$site" \
        'ENV PYTHONDONTWRITEBYTECODE=1' 'WORKDIR /app' 'CMD ["python3", "/app/sdk_check.py"]'
    log "built $PY_IMAGE in $((SECONDS - start)) s"
fi

# --- Rust ------------------------------------------------------------------------------------
[ "$only" = python ] && exit 0
start=$SECONDS
bins=()
for package in examples/parking-assistant/rust tests/sdk-clients/rust; do
    cargo build --quiet --locked --manifest-path "$root/$package/Cargo.toml" \
        --target-dir "$root/target/sdk"
done
bins=("$root/target/sdk/debug/parking_control" "$root/target/sdk/debug/sdk_check")
rs_inputs="$(cat "${BASH_SOURCE[0]}" "${bins[@]}" | sha256sum | cut -c1-16)"
if [ "$(label_of "$RS_IMAGE")" != "$rs_inputs" ]; then
    log "building $RS_IMAGE"
    rootfs="$tmp/rust"
    busybox_rootfs "$rootfs"
    # shellcheck disable=SC2046 # one path per word
    copy_in "$rootfs" $(libraries_of "${bins[@]}")
    mkdir -p "$rootfs/usr/local/bin"
    cp "${bins[@]}" "$rootfs/usr/local/bin/"
    import_rootfs "$rootfs" "$RS_IMAGE" "$rs_inputs" \
        'ENV PATH=/usr/local/bin:/bin' 'CMD ["/usr/local/bin/sdk_check"]'
    log "built $RS_IMAGE in $((SECONDS - start)) s (cargo build included)"
fi
