#!/usr/bin/env bash
# Step 2: certificates and kubeconfigs. One CA, a certificate for each line of
# certificates.txt, the service accounts' signing key, and a kubeconfig for each client.
# Made once per cluster; cluster-down removes them with the rest of the state.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

PKI=$CLUSTER_STATE/pki
KUBECONFIGS=$CLUSTER_STATE/kubeconfig
mkdir -p "$PKI" "$KUBECONFIGS"
umask 077

if [[ ! -f $PKI/ca.crt ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=numbers-demo-ca" \
        -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
fi

usage_extension() {
    case $1 in
    server) echo serverAuth ;;
    client) echo clientAuth ;;
    both) echo serverAuth,clientAuth ;;
    esac
}

while read -r name usage subject alt_names; do
    [[ -z $name || $name == \#* || -f $PKI/$name.crt ]] && continue
    extensions=(-addext "extendedKeyUsage=$(usage_extension "$usage")" -addext "keyUsage=critical,digitalSignature,keyEncipherment")
    [[ $alt_names != - ]] && extensions+=(-addext "subjectAltName=$alt_names")
    openssl req -new -newkey rsa:2048 -nodes -subj "$subject" "${extensions[@]}" \
        -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
        -CAcreateserial -copy_extensions copy -days 365 -out "$PKI/$name.crt" 2>/dev/null
    rm -f "$PKI/$name.csr"
done <"$(dirname "$0")/certificates.txt"

# Service account tokens are signed with this key and checked with its public half.
if [[ ! -f $PKI/service-account.key ]]; then
    openssl genrsa -out "$PKI/service-account.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/service-account.key" -pubout -out "$PKI/service-account.pub" 2>/dev/null
fi

kubectl_bin=$(kubernetes_bin kubectl)
for user in admin kube-controller-manager kube-scheduler kubelet kube-proxy kube-router; do
    config=$KUBECONFIGS/$user.kubeconfig
    [[ -f $config ]] && continue
    "$kubectl_bin" config set-cluster numbers-demo --kubeconfig "$config" \
        --server "$API_SERVER" --certificate-authority "$PKI/ca.crt" --embed-certs >/dev/null
    "$kubectl_bin" config set-credentials "$user" --kubeconfig "$config" \
        --client-certificate "$PKI/$user.crt" --client-key "$PKI/$user.key" --embed-certs >/dev/null
    "$kubectl_bin" config set-context numbers-demo --kubeconfig "$config" \
        --cluster numbers-demo --user "$user" >/dev/null
    "$kubectl_bin" config use-context numbers-demo --kubeconfig "$config" >/dev/null
done
