"""CloudFormation for SAM applications in the lab: the transform, and the resource types SAM generates.

On AWS, a template that declares ``Transform: AWS::Serverless-2016-10-31`` is expanded by
CloudFormation into plain resources before they are created
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification.html).
Stock moto does neither: it ignores the transform, and several types SAM generates are missing or
incomplete. While the lab runs, moto's CloudFormation in this process

* runs the SAM transform (:mod:`.transform`, ``aws-sam-translator``, the library AWS's transform
  is built on) when a stack or change set template declares it, so ``CreateStack`` takes a SAM
  template as AWS does;
* creates ``AWS::Lambda::Alias``, ``AWS::ApiGateway::Stage``, ``AWS::CloudWatch::Alarm``,
  ``AWS::CodeDeploy::Application`` and ``AWS::CodeDeploy::DeploymentGroup``;
* gives ``AWS::Lambda::Version`` its ``Ref`` (the version ARN) and ``Fn::GetAtt Version``;
* builds an ``AWS::ApiGateway::RestApi`` from its OpenAPI/Swagger ``Body`` (resources, methods and
  ``x-amazon-apigateway-integration``), so :mod:`courselab.lab.apigateway.proxy` serves it;
* applies an ``AWS::S3::Bucket``'s ``NotificationConfiguration`` (Lambda, SQS, SNS);
* rolls a stack whose resource fails to create back to ``ROLLBACK_COMPLETE``, with the reason in
  its events (moto would answer HTTP 500).

The resource types live in :mod:`.resources`, :mod:`.resources_apigateway` and
:mod:`.resources_deployment`; :mod:`.patches` adds them to moto's model list for as long as the
lab runs (they do not subclass moto's ``CloudFormationModel``, so stopping the lab leaves moto's
model map stock). Where the lab differs from AWS: stack creation and deletion are synchronous, the
``CodeDeployLambdaAliasUpdate`` update policy is recorded but no CodeDeploy deployment shifts
traffic on ``UpdateStack`` (see :mod:`courselab.lab.codedeploy.traffic_shifting` for how the
shifting goes), and alarms are stored, never evaluated.
"""
