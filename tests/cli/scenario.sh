#!/usr/bin/env bash
# The AWS CLI scenario: commands as AWS's CLI tutorials give them (Lambda, S3 and SQS triggers,
# HTTP and REST APIs, CloudFormation, ECS on Fargate, ECR, ELB, EKS), run against the lab.
#
# tests/cli/test_aws_cli.py runs it once per AWS CLI that installs here, with:
#   AWS_CLI            the `aws` executable to use
#   CLI_ENDPOINT_FLAG  1 if that CLI ignores AWS_ENDPOINT_URL and needs --endpoint-url on every command
#   CLI_MAJOR          1 or 2 (v2 needs --cli-binary-format raw-in-base64-out for a raw JSON payload)
#   AWS_ENDPOINT_URL   the lab (`python -m courselab serve` prints it), and the usual fake credentials
# A failing command stops the scenario and names its step.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
STEP="start"
trap 'echo "SCENARIO FAILED at step: $STEP" >&2' ERR

step() {
  STEP="$1"
  echo "== $STEP"
}

# What a learner types is `aws ...`. The PyPI CLI v1 honours AWS_ENDPOINT_URL except for `aws sqs`
# in us-east-1 (it goes to queue.amazonaws.com); Debian's v2.9 ignores it: both get --endpoint-url there.
aws() {
  if [ "${CLI_ENDPOINT_FLAG:-0}" = 1 ] || [ "$1" = sqs ]; then
    command "$AWS_CLI" --endpoint-url "$AWS_ENDPOINT_URL" "$@"
  else
    command "$AWS_CLI" "$@"
  fi
}

raw_payload=()
[ "${CLI_MAJOR:-2}" = 2 ] && raw_payload=(--cli-binary-format raw-in-base64-out)

# wait_for_log GROUP TEXT: until a CloudWatch Logs event of GROUP contains TEXT (10 s at most)
wait_for_log() {
  for _ in $(seq 50); do
    if aws logs filter-log-events --log-group-name "$1" --query 'events[].message' --output text 2>/dev/null |
      grep -q -- "$2"; then
      return 0
    fi
    sleep 0.2
  done
  echo "no log event of $1 contains: $2" >&2
  return 1
}

expect() {  # expect WHAT ACTUAL WANTED
  if [ "$2" != "$3" ]; then
    echo "$1: got '$2', wanted '$3'" >&2
    return 1
  fi
}

# --- IAM and Lambda (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-awscli.html) ----
step "IAM: create the execution role and attach AWSLambdaBasicExecutionRole"
ROLE_ARN=$(aws iam create-role --role-name lambda-ex \
  --assume-role-policy-document "file://$HERE/files/trust-policy.json" --query Role.Arn --output text)
aws iam attach-role-policy --role-name lambda-ex \
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
expect "attached policy" "$(aws iam list-attached-role-policies --role-name lambda-ex \
  --query 'AttachedPolicies[0].PolicyName' --output text)" AWSLambdaBasicExecutionRole

step "Lambda: create a function from a .zip file"
cp "$HERE/files/lambda_function.py" .
zip -q function.zip lambda_function.py
FUNCTION_ARN=$(aws lambda create-function --function-name cli-function --runtime python3.12 \
  --zip-file fileb://function.zip --handler lambda_function.lambda_handler --role "$ROLE_ARN" \
  --query FunctionArn --output text)

step "Lambda: invoke it synchronously"
aws lambda invoke --function-name cli-function "${raw_payload[@]}" --payload '{"name": "cli"}' response.json >/dev/null
expect "response" "$(cat response.json)" '{"version": "$LATEST", "name": "cli"}'

step "Lambda: publish a version, point an alias at it, invoke the alias"
aws lambda publish-version --function-name cli-function >/dev/null
aws lambda create-alias --function-name cli-function --name live --function-version 1 >/dev/null
aws lambda invoke --function-name cli-function --qualifier live "${raw_payload[@]}" --payload '{}' live.json \
  --query ExecutedVersion --output text >executed.txt
expect "executed version" "$(cat executed.txt)" 1

step "Lambda: read the function's log"
wait_for_log /aws/lambda/cli-function "REPORT RequestId"
if [ "${CLI_MAJOR:-2}" = 2 ]; then
  aws logs tail /aws/lambda/cli-function | grep -q "REPORT RequestId"
fi

# --- S3 trigger (https://docs.aws.amazon.com/lambda/latest/dg/with-s3-example.html) -----------------
step "S3: a bucket whose uploads invoke the function"
aws s3api create-bucket --bucket cli-uploads >/dev/null
aws lambda add-permission --function-name cli-function --statement-id s3 --action lambda:InvokeFunction \
  --principal s3.amazonaws.com --source-arn arn:aws:s3:::cli-uploads >/dev/null
aws s3api put-bucket-notification-configuration --bucket cli-uploads --notification-configuration \
  "{\"LambdaFunctionConfigurations\": [{\"LambdaFunctionArn\": \"$FUNCTION_ARN\", \"Events\": [\"s3:ObjectCreated:*\"]}]}"
echo "hello" >hello.txt
aws s3 cp hello.txt s3://cli-uploads/incoming/hello.txt >/dev/null
wait_for_log /aws/lambda/cli-function "object key: incoming/hello.txt"

# --- SQS trigger (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-example.html) --------------
step "SQS: an event source mapping delivers messages to the function"
QUEUE_URL=$(aws sqs create-queue --queue-name cli-queue --query QueueUrl --output text)
QUEUE_ARN=$(aws sqs get-queue-attributes --queue-url "$QUEUE_URL" --attribute-names QueueArn \
  --query Attributes.QueueArn --output text)
aws lambda create-event-source-mapping --function-name cli-function --batch-size 10 \
  --event-source-arn "$QUEUE_ARN" >/dev/null
aws sqs send-message --queue-url "$QUEUE_URL" --message-body "order 42" >/dev/null
wait_for_log /aws/lambda/cli-function "message body: order 42"

# --- HTTP API (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-dev-with-cli.html)
step "API Gateway: an HTTP API with a Lambda integration"
API_ID=$(aws apigatewayv2 create-api --name cli-http --protocol-type HTTP --query ApiId --output text)
INTEGRATION_ID=$(aws apigatewayv2 create-integration --api-id "$API_ID" --integration-type AWS_PROXY \
  --integration-uri "$FUNCTION_ARN" --payload-format-version 2.0 --query IntegrationId --output text)
aws apigatewayv2 create-route --api-id "$API_ID" --route-key 'GET /hello' --target "integrations/$INTEGRATION_ID" >/dev/null
aws apigatewayv2 create-stage --api-id "$API_ID" --stage-name '$default' --auto-deploy >/dev/null
aws lambda add-permission --function-name cli-function --statement-id http-api --action lambda:InvokeFunction \
  --principal apigateway.amazonaws.com >/dev/null
expect "HTTP API answer" "$(curl -s "$AWS_ENDPOINT_URL/restapis/$API_ID/\$default/_user_request_/hello")" '{"path": "/hello"}'

# --- REST API (https://docs.aws.amazon.com/apigateway/latest/developerguide/create-api-using-awscli.html)
step "API Gateway: a REST API with a Lambda proxy integration"
REST_ID=$(aws apigateway create-rest-api --name cli-rest --query id --output text)
ROOT_ID=$(aws apigateway get-resources --rest-api-id "$REST_ID" --query 'items[0].id' --output text)
RESOURCE_ID=$(aws apigateway create-resource --rest-api-id "$REST_ID" --parent-id "$ROOT_ID" --path-part hello \
  --query id --output text)
aws apigateway put-method --rest-api-id "$REST_ID" --resource-id "$RESOURCE_ID" --http-method GET \
  --authorization-type NONE >/dev/null
aws apigateway put-integration --rest-api-id "$REST_ID" --resource-id "$RESOURCE_ID" --http-method GET \
  --type AWS_PROXY --integration-http-method POST \
  --uri "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/$FUNCTION_ARN/invocations" >/dev/null
aws apigateway create-deployment --rest-api-id "$REST_ID" --stage-name prod >/dev/null
expect "REST API answer" "$(curl -s "$AWS_ENDPOINT_URL/restapis/$REST_ID/prod/_user_request_/hello")" '{"path": "/hello"}'

# --- CloudFormation (https://docs.aws.amazon.com/cli/latest/reference/cloudformation/deploy/) -------
step "CloudFormation: deploy a template with parameters"
aws cloudformation deploy --template-file "$HERE/files/stack.yml" --stack-name cli-stack \
  --parameter-overrides QueueName=cli-stack-queue >/dev/null
expect "stack status" "$(aws cloudformation describe-stacks --stack-name cli-stack \
  --query 'Stacks[0].StackStatus' --output text)" CREATE_COMPLETE
aws sqs get-queue-url --queue-name cli-stack-queue >/dev/null

# --- ECS on Fargate (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ECS_AWSCLI_Fargate.html)
step "ECS: a cluster, a Fargate task definition and a service"
SUBNET=$(aws ec2 describe-subnets --query 'Subnets[0].SubnetId' --output text)
SUBNET2=$(aws ec2 describe-subnets --query 'Subnets[1].SubnetId' --output text)
VPC=$(aws ec2 describe-vpcs --query 'Vpcs[0].VpcId' --output text)
SG=$(aws ec2 create-security-group --group-name cli-sg --description "CLI scenario" --vpc-id "$VPC" \
  --query GroupId --output text)
aws ecs create-cluster --cluster-name fargate-cluster >/dev/null
aws ecs register-task-definition --cli-input-json "file://$HERE/files/task-definition.json" >/dev/null
aws ecs create-service --cluster fargate-cluster --service-name fargate-service --task-definition sample-fargate:1 \
  --desired-count 1 --launch-type FARGATE \
  --network-configuration "awsvpcConfiguration={subnets=[$SUBNET],securityGroups=[$SG],assignPublicIp=ENABLED}" >/dev/null
expect "service status" "$(aws ecs describe-services --cluster fargate-cluster --services fargate-service \
  --query 'services[0].status' --output text)" ACTIVE

# --- ECR (https://docs.aws.amazon.com/AmazonECR/latest/userguide/getting-started-cli.html) ----------
step "ECR: a repository with scanning and a lifecycle policy"
aws ecr create-repository --repository-name cli-repo --image-scanning-configuration scanOnPush=true >/dev/null
aws ecr put-lifecycle-policy --repository-name cli-repo \
  --lifecycle-policy-text "file://$HERE/files/lifecycle-policy.json" >/dev/null
[ -n "$(aws ecr get-login-password)" ]

# --- ELB (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/tutorial-application-load-balancer-cli.html)
step "ELB: an Application Load Balancer, a target group and a listener"
LB_ARN=$(aws elbv2 create-load-balancer --name cli-alb --subnets "$SUBNET" "$SUBNET2" --security-groups "$SG" \
  --query 'LoadBalancers[0].LoadBalancerArn' --output text)
TG_ARN=$(aws elbv2 create-target-group --name cli-targets --protocol HTTP --port 80 --vpc-id "$VPC" \
  --query 'TargetGroups[0].TargetGroupArn' --output text)
aws elbv2 create-listener --load-balancer-arn "$LB_ARN" --protocol HTTP --port 80 \
  --default-actions "Type=forward,TargetGroupArn=$TG_ARN" >/dev/null
aws elbv2 create-listener --load-balancer-arn "$LB_ARN" --protocol HTTP --port 8080 \
  --default-actions 'Type=fixed-response,FixedResponseConfig={StatusCode=200,ContentType=text/plain,MessageBody=hello from the ALB}' >/dev/null
expect "listeners" "$(aws elbv2 describe-listeners --load-balancer-arn "$LB_ARN" \
  --query 'length(Listeners)' --output text)" 2

step "ELB: reach the listener with curl alone (the lab's URL of http://DNSName:8080)"
DNS_NAME=$(aws elbv2 describe-load-balancers --names cli-alb --query 'LoadBalancers[0].DNSName' --output text)
LISTENER=$(curl -sf "$AWS_ENDPOINT_URL/_courselab/call/listener_url?arg=$DNS_NAME&arg=8080")
expect "ALB answer" "$(curl -s "$LISTENER/anything")" "hello from the ALB"

# --- EKS (https://docs.aws.amazon.com/eks/latest/userguide/create-cluster.html) ---------------------
step "EKS: a cluster"
aws eks create-cluster --name cli-eks --role-arn "$ROLE_ARN" \
  --resources-vpc-config "subnetIds=$SUBNET,$SUBNET2" >/dev/null
expect "cluster" "$(aws eks describe-cluster --name cli-eks --query cluster.name --output text)" cli-eks

# --- clean-up, as the tutorials end ----------------------------------------------------------------
step "clean-up"
aws cloudformation delete-stack --stack-name cli-stack
aws lambda delete-function --function-name cli-function
aws iam detach-role-policy --role-name lambda-ex \
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
aws iam delete-role --role-name lambda-ex
echo "SCENARIO OK"
