#!/usr/bin/env bash
# data-quality.yml: run `binance-assets check` as a one-off ECS task of the market_data code location's
# task definition, in the same subnets and security groups as its service (the warehouse is reachable
# only from inside the VPC). The task gets the prod environment and its secrets (PostgreSQL password,
# alert webhook URL) by reference from Secrets Manager through its task definition, as the code server
# does. Prints the task's log and exits with the command's exit code.
#
# Environment: CLUSTER, TASK_FAMILY, CONTAINER (default code-market-data), LOG_GROUP; CHECK_ARGS (optional).
set -euo pipefail

: "${CLUSTER:?}" "${TASK_FAMILY:?}" "${LOG_GROUP:?}"
CONTAINER=${CONTAINER:-code-market-data}
read -r -a extra <<<"${CHECK_ARGS:-}"

network=$(aws ecs describe-services --cluster "$CLUSTER" --services "$CONTAINER" \
  --query 'services[0].networkConfiguration' --output json)
args='[]'
[ "${#extra[@]}" -eq 0 ] || args=$(printf '%s\n' "${extra[@]}" | jq -R . | jq -sc .)
overrides=$(jq -nc --arg c "$CONTAINER" --argjson a "$args" \
  '{containerOverrides: [{name: $c, command: (["binance-assets", "check"] + $a)}]}')

task=$(aws ecs run-task --cluster "$CLUSTER" --task-definition "$TASK_FAMILY" --launch-type FARGATE \
  --network-configuration "$network" --overrides "$overrides" --started-by data-quality \
  --query 'tasks[0].taskArn' --output text)
echo "started ${task}"
aws ecs wait tasks-stopped --cluster "$CLUSTER" --tasks "$task"

read -r code reason < <(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" \
  --query 'tasks[0].[containers[0].exitCode, stoppedReason]' --output text)
aws logs get-log-events --log-group-name "$LOG_GROUP" \
  --log-stream-name "${CONTAINER}/${CONTAINER}/${task##*/}" --start-from-head \
  --query 'events[].message' --output text | tr '\t' '\n' || echo "::warning::could not read the task's log"
if [ "$code" = "None" ]; then
  echo "::error::the check task did not run to completion: ${reason}"
  exit 1
fi
[ "$code" = "0" ] || echo "::error::binance-assets check failed (exit ${code}); the alert went to the webhook"
exit "$code"
