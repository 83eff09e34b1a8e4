"""CodeDeploy in the lab: the traffic shifting of a Lambda deployment, computed rather than run.

Stock moto stores CodeDeploy applications, deployment groups and deployments but never shifts an
alias's traffic. The lab does not patch it: its CloudFormation creates the applications and groups
SAM generates (:mod:`courselab.lab.cloudformation.resources_deployment`), and
:mod:`.traffic_shifting` computes, in pure Python, how a canary, linear or all-at-once deployment
would move traffic and roll back on an alarm
(https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html).
"""
