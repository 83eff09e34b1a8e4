"""CloudFormation in the lab: the SAM transform, every type SAM generates, and a stack that never lies.

On AWS, a template that declares ``Transform: AWS::Serverless-2016-10-31`` is expanded by
CloudFormation into plain resources before they are created
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification.html).
Stock moto ignores the transform, skips any type it has no model for (``AWS::SNS::Subscription``,
``AWS::ApiGatewayV2::*``, the policies ...) while reporting ``CREATE_COMPLETE``, answers HTTP 500
when a resource fails, leaves change-set stacks without outputs, and tells custom resources to
answer at ``host.docker.internal``. While the lab runs, moto's CloudFormation in this process

* runs the SAM transform (:mod:`.transform`) and ``AWS::Include`` (:mod:`.locations`), then refuses
  what CloudFormation refuses before creating anything: undeclared names, dependency cycles,
  unknown transforms (:mod:`.template_checks`);
* creates resources in dependency order with an event for each, fails a type it cannot create
  ("The course lab cannot create resources of type X") or a ``Fn::GetAtt`` without a value, naming
  the property, and rolls back: ``CREATE_FAILED`` → ``ROLLBACK_COMPLETE``, updates to
  ``UPDATE_ROLLBACK_COMPLETE``, ``DELETE_FAILED`` kept (:mod:`.stack_resources`, :mod:`.stacks`);
* runs change sets as ``CreateStack``/``UpdateStack`` do, so the stack has its ``Outputs``;
* reads ``TemplateURL`` and S3 locations on the lab's own endpoint (``http://127.0.0.1:PORT/b/k``);
* creates the types SAM and common samples generate, each through moto's backends so the API shows
  it: Lambda (every function property, in-place updates with new inline code, permissions, URLs,
  event invoke configs, event source mappings, layers; :mod:`.resources_lambda`), versions and
  aliases (:mod:`.resources`), REST APIs from ``Body`` with authorizers, validators and models
  (:mod:`.resources_apigateway`, :mod:`.rest_api_body`), API keys and usage plans
  (:mod:`.resources_rest_parts`), HTTP APIs (:mod:`.resources_http_api`), SNS subscriptions and
  topic, queue and bucket policies
  (:mod:`.resources_messaging`), EventBridge rules, Scheduler schedules, state machines
  (:mod:`.resources_events`), CodeDeploy and alarms (:mod:`.resources_deployment`), S3 bucket
  notifications (:mod:`.resources`);
* deletes what moto's models cannot (gateways, routes, ECS, ALB parts ...; :mod:`.deleters`) and
  keeps an export another stack imports;
* asks custom resources (``Custom::*``) and waits for wait conditions at a URL on the lab's port
  (:mod:`.custom_resources`, :mod:`.response_url`, served by :mod:`.provider`), at most
  ``COURSELAB_CFN_TIMEOUT`` seconds (30 by default).

:mod:`.patches` declares every change. The lab's models do not subclass moto's
``CloudFormationModel``, so stopping the lab leaves moto's model map stock. Where the lab differs
from AWS: every stack operation is synchronous (the call returns at the final state); waits are
capped by the lab's limit; policies and authorizers are stored, not enforced. An alias update
with SAM's ``CodeDeployLambdaAliasUpdate`` policy is a real CodeDeploy deployment
(:mod:`courselab.lab.codedeploy.alias_update`), waited for within the same limit. Its alarms are
evaluated by :mod:`courselab.lab.cloudwatch`. Importing this package imports no moto.
"""
