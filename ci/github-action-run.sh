#!/usr/bin/env bash
# The `apiconform run` step of action.yml. Its inputs arrive as environment variables only (never pasted
# into a script: GitHub's script-injection advice), each option passed only when its input is set.
# It always exits 0: the run's exit code goes to the step outputs, and action.yml's last step exits with
# it, after the report has been published (the gate fails after the summary and annotations are written).
set -uo pipefail

report_dir="${INPUT_REPORT_DIR:-conformance-report}"
if [[ "$report_dir" == *$'\n'* || "$report_dir" == *$'\r'* ]]; then
  echo "::error title=apiconform::the report-dir input holds a line break"
  exit 2
fi
argv=(run --report-dir "$report_dir")
for option in api spec base-url config target waivers; do
  variable="INPUT_${option//-/_}"
  variable="${variable^^}"
  value="${!variable:-}"
  if [[ -n "$value" ]]; then
    argv+=("--$option" "$value")
  fi
done
if [[ -n "${INPUT_ARGS:-}" ]]; then
  # Words split at spaces, tabs and line breaks; nothing is expanded, globbed or run (no quoting either:
  # a value with a space belongs in the config file).
  read -r -a extra -d '' <<<"$INPUT_ARGS"
  argv+=("${extra[@]}")
fi
# The token input, when given, is the run's $APICONFORM_TOKEN (never an argument: argv is visible to
# every process); when not, a job-level $APICONFORM_TOKEN is left as it is.
if [[ -n "${INPUT_TOKEN:-}" ]]; then
  export APICONFORM_TOKEN="$INPUT_TOKEN"
fi
unset INPUT_TOKEN
# A report.json left by an earlier run (a self-hosted runner keeps its workspace) must not be published
# as this run's when this run stops before writing one (exit 2: a usage or configuration error).
rm -f -- "$report_dir/report.json"

apiconform "${argv[@]}"
exit_code=$?
{
  echo "exit-code=$exit_code"
  echo "report-dir=$report_dir"
} >>"$GITHUB_OUTPUT"
exit 0
