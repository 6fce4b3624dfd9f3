#!/usr/bin/env bash
# Rolling deploy of the ECS services of one environment, with automatic rollback (deploy.yml).
#
#   ecs-deploy.sh record FILE     the task definition each service runs now -> FILE (JSON {service: arn})
#   ecs-deploy.sh deploy          a new revision of each service's task definition with the new image, then
#                                 update-service, wait until stable, and verify each service really runs the
#                                 new revision (the ECS deployment circuit breaker, set by Terraform, rolls a
#                                 service back on its own when its tasks fail their health checks: "stable"
#                                 is then reached on the OLD revision, which this step reports as a failure)
#   ecs-deploy.sh rollback FILE   every service back to the task definition recorded in FILE, then wait
#
# Environment: CLUSTER; for deploy IMAGE_CODE_LOCATION, IMAGE_API, IMAGE_DAGSTER (registry/repo:tag).
# Needs the AWS CLI and jq (both on GitHub's ubuntu runners).
set -euo pipefail

: "${CLUSTER:?CLUSTER is not set}"
SERVICES=(code-market-data code-ml dagster-webserver dagster-daemon dagster-exporter api)

image_for() {
  case "$1" in
    code-market-data | code-ml) echo "${IMAGE_CODE_LOCATION:?}" ;;
    api) echo "${IMAGE_API:?}" ;;
    dagster-webserver | dagster-daemon | dagster-exporter) echo "${IMAGE_DAGSTER:?}" ;;
    *) echo "unknown service $1" >&2; return 1 ;;
  esac
}

running_task_definition() {
  aws ecs describe-services --cluster "$CLUSTER" --services "$1" \
    --query 'services[0].taskDefinition' --output text
}

wait_stable() {
  echo "waiting for ${*} to be stable in ${CLUSTER}"
  aws ecs wait services-stable --cluster "$CLUSTER" --services "$@"
}

record() {
  local out=$1 json='{}'
  for service in "${SERVICES[@]}"; do
    local arn
    arn=$(running_task_definition "$service")
    breaker=$(aws ecs describe-services --cluster "$CLUSTER" --services "$service" \
      --query 'services[0].deploymentConfiguration.deploymentCircuitBreaker.enable' --output text)
    [ "$breaker" = "True" ] || echo "::warning::${service}: the deployment circuit breaker is not enabled"
    json=$(jq --arg s "$service" --arg arn "$arn" '. + {($s): $arn}' <<<"$json")
    echo "${service}: ${arn}"
  done
  echo "$json" >"$out"
}

register_with_image() {
  local current=$1 image=$2 spec
  spec=$(mktemp)
  # The running revision with the container whose image comes from the same repository replaced.
  aws ecs describe-task-definition --task-definition "$current" --query taskDefinition --output json |
    jq --arg img "$image" --arg repo "${image%:*}" '
      del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
          .registeredAt, .registeredBy, .deregisteredAt)
      | .containerDefinitions |= map(if (.image | startswith($repo + ":") or startswith($repo + "@"))
                                     then .image = $img else . end)' >"$spec"
  aws ecs register-task-definition --cli-input-json "file://${spec}" \
    --query taskDefinition.taskDefinitionArn --output text
  rm -f "$spec"
}

deploy() {
  declare -A wanted
  for service in "${SERVICES[@]}"; do
    wanted[$service]=$(register_with_image "$(running_task_definition "$service")" "$(image_for "$service")")
    echo "${service}: -> ${wanted[$service]}"
    aws ecs update-service --cluster "$CLUSTER" --service "$service" \
      --task-definition "${wanted[$service]}" --query 'service.deployments[0].id' --output text >/dev/null
  done
  wait_stable "${SERVICES[@]}"
  local failed=0
  for service in "${SERVICES[@]}"; do
    # shellcheck disable=SC2016  # backticks are JMESPath literals, not shell
    read -r running state < <(aws ecs describe-services --cluster "$CLUSTER" --services "$service" \
      --query 'services[0].deployments[?status==`PRIMARY`] | [0].[taskDefinition, rolloutState]' --output text)
    if [ "$running" != "${wanted[$service]}" ] || [ "$state" != "COMPLETED" ]; then
      echo "::error::${service} runs ${running} (${state}), not ${wanted[$service]}: its new tasks failed"
      failed=1
    fi
  done
  return "$failed"
}

rollback() {
  local file=$1 services=()
  for service in $(jq -r 'keys[]' "$file"); do
    local arn
    arn=$(jq -r --arg s "$service" '.[$s]' "$file")
    echo "::warning::rolling ${service} back to ${arn}"
    aws ecs update-service --cluster "$CLUSTER" --service "$service" --task-definition "$arn" \
      --query 'service.deployments[0].id' --output text >/dev/null
    services+=("$service")
  done
  wait_stable "${services[@]}"
}

case "${1:-}" in
  record) record "${2:?record FILE}" ;;
  deploy) deploy ;;
  rollback) rollback "${2:?rollback FILE}" ;;
  *) echo "usage: $0 record FILE | deploy | rollback FILE" >&2; exit 2 ;;
esac
