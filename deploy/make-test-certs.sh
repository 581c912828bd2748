#!/usr/bin/env bash
# Makes a test site's certificates with openssl, into DIR (created if missing):
#
#   ca.crt ca.key                  the site's CA: the server's [auth] client_ca, and what clients trust
#   server.crt server.key          the server (CN localhost, SAN DNS:localhost, IP:127.0.0.1)
#   lane-L1.crt lane-L1.key        a lane kiosk's client certificate (CN lane-L1)
#   seal-ST1.crt seal-ST1.key      an officer's seal terminal (CN seal-ST1)
#   other-ca.crt other-ca.key      a second, unrelated CA
#   other-lane-L1.crt .key         a client certificate from that other CA with the same CN lane-L1,
#                                  which the server must refuse at the handshake
#
# Usage: deploy/make-test-certs.sh DIR [DAYS]     (DAYS of validity, default 365)
#
# The server maps a client certificate's CN to a principal through its [auth] config, e.g.
#   cert = lane lane-L1 L1
#   cert = seal_terminal seal-ST1
# Keys are P-256, unencrypted and readable by their owner only: for tests and a test site, not
# for production, where each device's key is made on the device and only its request is signed.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DIR [DAYS]" >&2
  exit 2
fi
dir=$1
days=${2:-365}
command -v openssl >/dev/null || { echo "$0: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
umask 077

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$1.key" 2>/dev/null; }

# make_ca NAME CN
make_ca() {
  new_key "$1"
  openssl req -x509 -new -key "$dir/$1.key" -subj "/O=yardgate test site/CN=$2" -days "$days" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/$1.crt"
}

# make_leaf NAME CA CN EXTENDED_KEY_USAGE [SUBJECT_ALT_NAME]
make_leaf() {
  local name=$1 ca=$2 cn=$3 eku=$4 san=${5:-DNS:$3}
  new_key "$name"
  openssl req -x509 -new -key "$dir/$name.key" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
    -subj "/O=yardgate test site/CN=$cn" -days "$days" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=$eku" -addext "subjectAltName=$san" \
    -out "$dir/$name.crt"
}

make_ca ca "yardgate test CA"
make_leaf server ca localhost serverAuth "DNS:localhost,IP:127.0.0.1"
make_leaf lane-L1 ca lane-L1 clientAuth
make_leaf seal-ST1 ca seal-ST1 clientAuth
make_ca other-ca "unrelated CA"
make_leaf other-lane-L1 other-ca lane-L1 clientAuth

# Certificates are public; only the keys stay private.
chmod 644 "$dir"/*.crt
echo "make-test-certs: wrote CA, server, lane-L1, seal-ST1 and other-ca certificates to $dir" >&2
