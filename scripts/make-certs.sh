#!/usr/bin/env bash
# Certificates for mTLS between ank, ank-server and ank-agent, made as Ankaios' docs make them.
#
#   scripts/make-certs.sh [--key ed25519|ecdsa] [--any-agent NAME]... [--expired NAME]... \
#                         OUT_DIR [AGENT_NAME...]
#
# Writes into OUT_DIR (created if missing):
#   ca.pem, ca-key.pem          the CA (CN ankaios-ca)
#   server.pem, server-key.pem  CN ank-server, SAN DNS:ank-server, EKU serverAuth
#                               (clients verify the name ank-server whatever address they dial)
#   cli.pem, cli-key.pem        CN cli, SAN DNS:cli, EKU clientAuth
#   AGENT.pem, AGENT-key.pem    per AGENT_NAME: CN AGENT, SAN DNS:AGENT, EKU clientAuth
#   NAME.pem, NAME-key.pem      per --any-agent NAME: CN NAME, SAN DNS:*, admitted as any agent
#   NAME.pem, NAME-key.pem      per --expired NAME: an agent certificate valid only in 2020
# Keys are ED25519 (default) or ECDSA P-256 (--key ecdsa), mode 0600. Existing files are
# overwritten.
set -euo pipefail

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

key_type=ed25519
any_agents=()
expired=()
positional=()
while (($#)); do
  case "$1" in
    --key)
      (($# >= 2)) || usage
      key_type=$2
      shift 2
      ;;
    --any-agent)
      (($# >= 2)) || usage
      any_agents+=("$2")
      shift 2
      ;;
    --expired)
      (($# >= 2)) || usage
      expired+=("$2")
      shift 2
      ;;
    -h | --help) usage ;;
    -*)
      echo "make-certs.sh: unknown option '$1'" >&2
      usage
      ;;
    *)
      positional+=("$1")
      shift
      ;;
  esac
done
((${#positional[@]} >= 1)) || usage
out=${positional[0]}
agents=("${positional[@]:1}")

case "$key_type" in
  ed25519) key_args=(-algorithm ED25519) ;;
  ecdsa) key_args=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256) ;;
  *)
    echo "make-certs.sh: --key must be ed25519 or ecdsa, not '$key_type'" >&2
    exit 2
    ;;
esac

# Agent names as Ankaios allows them; they become file names and certificate fields.
for name in "${agents[@]}" "${any_agents[@]}" "${expired[@]}"; do
  if [[ ! $name =~ ^[A-Za-z0-9_-]+$ ]] || [[ $name =~ ^(ca|server|cli)$ ]]; then
    echo "make-certs.sh: '$name' is not a usable agent name ([A-Za-z0-9_-]+, not ca/server/cli)" >&2
    exit 2
  fi
done

mkdir -p "$out"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

new_key() { # FILE
  openssl genpkey "${key_args[@]}" -out "$1" 2>/dev/null
  chmod 600 "$1"
}

# sign NAME CN EXTENSIONS: a CSR for NAME-key.pem, signed by the CA into NAME.pem.
sign() {
  local name=$1 cn=$2 ext=$3
  new_key "$out/$name-key.pem"
  openssl req -new -key "$out/$name-key.pem" -subj "/CN=$cn" -out "$work/$name.csr"
  printf '%s\n' "$ext" >"$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" \
    -CAcreateserial -CAserial "$work/ca.srl" -days 365 -extfile "$work/$name.ext" \
    -out "$out/$name.pem" 2>/dev/null
}

new_key "$out/ca-key.pem"
openssl req -x509 -new -key "$out/ca-key.pem" -subj "/CN=ankaios-ca" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$out/ca.pem"

sign server ank-server "$(printf '%s\n' \
  'basicConstraints=CA:FALSE' \
  'keyUsage=critical,digitalSignature' \
  'extendedKeyUsage=serverAuth' \
  'subjectAltName=DNS:ank-server')"

client_ext() { # SAN
  printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=clientAuth' "subjectAltName=$1"
}

sign cli cli "$(client_ext DNS:cli)"
for name in "${agents[@]}"; do
  sign "$name" "$name" "$(client_ext "DNS:$name")"
done
for name in "${any_agents[@]}"; do
  sign "$name" "$name" "$(client_ext 'DNS:*')"
done

# An expired agent certificate needs explicit dates in the past: `openssl x509 -req` (3.0)
# only counts days from now, `openssl ca` takes -startdate/-enddate.
if ((${#expired[@]})); then
  mkdir -p "$work/ca/new"
  : >"$work/ca/index.txt"
  cat >"$work/ca/ca.cnf" <<EOF
[ca]
default_ca = expired
[expired]
dir = $work/ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
certificate = $out/ca.pem
private_key = $out/ca-key.pem
default_md = default
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
EOF
  for name in "${expired[@]}"; do
    new_key "$out/$name-key.pem"
    openssl req -new -key "$out/$name-key.pem" -subj "/CN=$name" -out "$work/$name.csr"
    client_ext "DNS:$name" >"$work/$name.ext"
    openssl rand -hex 16 >"$work/ca/serial"
    openssl ca -batch -notext -config "$work/ca/ca.cnf" -in "$work/$name.csr" \
      -startdate 20200101000000Z -enddate 20200201000000Z -extfile "$work/$name.ext" \
      -out "$out/$name.pem" 2>/dev/null
  done
fi

# Certificates are public; keys stay 0600 (umask 077 made everything private).
for f in "$out"/*.pem; do
  [[ $f == *-key.pem ]] || chmod 644 "$f"
done
echo "certificates in $out: ca, server, cli${agents[*]:+, ${agents[*]}}${any_agents[*]:+, ${any_agents[*]}}${expired[*]:+, ${expired[*]}}"
