#!/usr/bin/env bash
# Compares two synthesized revisions with connection-budget, and posts or updates one pull-request comment.
# Usage: connection-budget-comment.sh BASE_ASSEMBLY HEAD_ASSEMBLY
# Environment: REPOSITORY (owner/name), PR_NUMBER, GH_TOKEN (for gh), GUARDRAILS (check options), COMMENT_AUTHOR (the login
# the comments are posted as; default github-actions[bot], the identity of the workflow's GITHUB_TOKEN),
# HEAD_SYNTH_STATUS and HEAD_SYNTH_LOG (the head's cdk synth exit code and stderr), ALLOCATION_RECORDS
# (optional: `--allocation-record FILE ...`, the live records read-allocation-records.sh printed).
# Exit code: connection-budget check's (0 fine, 1 violated or guardrail crossed, 2 or 3 could not check);
# 1 when the head did not synthesize.
set -uo pipefail
base="$1"
head="$2"
marker='<!-- connection-budget-diff -->'
comment="$(mktemp)"
quoted="$(mktemp)"
# The comment and the quoted log go when the script ends, however it ends.
trap 'rm -f "$comment" "$quoted"' EXIT
status=0
if [ "${HEAD_SYNTH_STATUS:-0}" -ne 0 ]; then
  status=1
  grep -E '\[(CB-[A-Z-]+|ack: CB-[A-Z-]+)\]' "$HEAD_SYNTH_LOG" > "$quoted" || tail -n 20 "$HEAD_SYNTH_LOG" > "$quoted"
  # The log is whatever the pull request's code printed: a fence longer than any run of backticks in it keeps all of it
  # quoted, so none of it is read as Markdown (HTML, links, mentions).
  fence='```'
  while grep -qF "$fence" "$quoted"; do fence="$fence\`"; done
  {
    echo "$marker"
    echo '## Connection budget change'
    echo
    echo '**❌ `cdk synth` of this pull request fails:**'
    echo
    echo "${fence}text"
    cat "$quoted"
    echo "$fence"
  } > "$comment"
else
  # shellcheck disable=SC2086 # GUARDRAILS and ALLOCATION_RECORDS hold several options.
  npx --no-install connection-budget check "$head" --base "$base" ${GUARDRAILS:-} ${ALLOCATION_RECORDS:-} --format markdown > "$comment" || status=$?
fi
cat "$comment"
# Only a comment this workflow's identity wrote: anyone may post a comment that starts with the marker.
author="${COMMENT_AUTHOR:-github-actions[bot]}"
existing="$(gh api "repos/$REPOSITORY/issues/$PR_NUMBER/comments" --paginate \
  --jq ".[] | select(.user.login == \"$author\" and (.body | startswith(\"$marker\"))) | .id" | head -n 1)" || exit 3
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$REPOSITORY/issues/comments/$existing" -F "body=@$comment" > /dev/null || exit 3
else
  gh api --method POST "repos/$REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$comment" > /dev/null || exit 3
fi
exit "$status"
