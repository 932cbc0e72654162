#!/usr/bin/env bash
# Builds and lints the azd infrastructure (infra/main.bicep and its modules) with the Bicep CLI.
# Needs only the dotnet CLI and the NuGet feed: the Bicep binary comes from the NuGet package
# Azure.Bicep.CommandLine.linux-x64, downloaded by restoring infra/tools/bicep.proj.
# Exit code 0 only when `bicep build` and `bicep lint` succeed with zero errors and zero warnings
# (`bicep lint` itself exits 0 on warnings, so the output is checked too).
set -euo pipefail

infra_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
started=$SECONDS

fail() {
  echo "infra/check.sh: FAILED - $*" >&2
  exit 1
}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) fail "the Bicep CLI package used here is linux-x64 only; this machine is $(uname -s)-$(uname -m)" ;;
esac

command -v dotnet >/dev/null 2>&1 || fail "the dotnet CLI is not on PATH"

bicep_version="$(sed -n 's:.*<BicepVersion>\(.*\)</BicepVersion>.*:\1:p' "$infra_dir/tools/bicep.proj")"
[[ -n "$bicep_version" ]] || fail "could not read BicepVersion from infra/tools/bicep.proj"

# Restore = download the package into the NuGet global packages folder (a no-op when cached).
if ! restore_log="$(dotnet restore "$infra_dir/tools/bicep.proj" --nologo --verbosity quiet 2>&1)"; then
  echo "$restore_log" >&2
  fail "dotnet restore of infra/tools/bicep.proj"
fi

packages_dir="${NUGET_PACKAGES:-}"
if [[ -z "$packages_dir" ]]; then
  packages_dir="$(dotnet nuget locals global-packages --list --force-english-output | sed -n 's/^global-packages: *//p')"
fi
[[ -n "$packages_dir" ]] || fail "could not locate the NuGet global packages folder"
bicep="${packages_dir%/}/azure.bicep.commandline.linux-x64/${bicep_version}/tools/bicep"
[[ -f "$bicep" ]] || fail "Bicep binary not found at $bicep after restore"
# NuGet does not always keep the executable bit when it extracts a package.
[[ -x "$bicep" ]] || chmod +x "$bicep"

# Consistency checks Bicep cannot do: azd passes infra/main.parameters.json to main.bicep, and
# finds the function app by the azd-service-name tag, which must equal the service in azure.yaml.
consistency_errors=0
while read -r name; do
  if ! grep -qE "^param ${name} " "$infra_dir/main.bicep"; then
    echo "infra/main.parameters.json: parameter '${name}' is not declared in infra/main.bicep" >&2
    consistency_errors=$((consistency_errors + 1))
  fi
done < <(sed -n 's/^    "\([A-Za-z0-9_]*\)": {.*/\1/p' "$infra_dir/main.parameters.json")
service_name="$(sed -n "s/^var functionsServiceName = '\(.*\)'.*/\1/p" "$infra_dir/main.bicep")"
if [[ -z "$service_name" ]] || ! grep -qE "^  ${service_name}:\s*$" "$infra_dir/../azure.yaml"; then
  echo "azure.yaml: no service named '${service_name}' (functionsServiceName in infra/main.bicep)" >&2
  consistency_errors=$((consistency_errors + 1))
fi

# Counts diagnostics of one level ("Error" or "Warning") in Bicep's output lines
# "<file>(<line>,<col>) : <Level> <code>: <message>".
count_level() {
  grep -cE "\) : $1 " <<<"$2" || true
}

build_status=0
build_output="$("$bicep" build "$infra_dir/main.bicep" --stdout 2>&1 >/dev/null)" || build_status=$?
lint_status=0
lint_output="$("$bicep" lint "$infra_dir/main.bicep" 2>&1)" || lint_status=$?

[[ -n "$build_output" ]] && echo "$build_output"
[[ -n "$lint_output" ]] && echo "$lint_output"

# Lint repeats what build reports; count each distinct diagnostic once.
all_diagnostics="$(printf '%s\n%s\n' "$build_output" "$lint_output" | sort -u)"
errors="$(count_level Error "$all_diagnostics")"
warnings="$(count_level Warning "$all_diagnostics")"
elapsed=$((SECONDS - started))

if [[ $build_status -ne 0 || $lint_status -ne 0 || $errors -ne 0 || $warnings -ne 0 || $consistency_errors -ne 0 ]]; then
  fail "bicep $bicep_version: build exit $build_status, lint exit $lint_status, $errors error(s), $warnings warning(s), $consistency_errors consistency error(s) (${elapsed}s)"
fi

echo "infra/check.sh: OK - bicep $bicep_version build and lint of infra/main.bicep: 0 errors, 0 warnings (${elapsed}s)"
