"""README: invoke the alias "live"; change the code and deploy again: once the deployment is
complete, "live" serves the new version (a CodeDeploy deployment did the shifting).

In the lab, ``courselab.set_schedule_speedup(600)`` makes the canary's five minutes half a second."""

import boto3

import courselab

SHAPE = "Lambda alias with traffic shifting (AutoPublishAlias + DeploymentPreference Canary10Percent5Minutes)"


def exercise(app):
    function = app.output("FunctionName")
    lam = boto3.client("lambda")

    with app.step("the alias live points at version 1, which answers"):
        assert lam.get_alias(FunctionName=function, Name="live")["FunctionVersion"] == "1"
        assert app.invoke(function, qualifier="live") == {"greeting": "hello", "version": "1"}

    courselab.set_schedule_speedup(600)
    try:
        with app.step("a second deploy, with changed code (src-v2/), completes (UPDATE_COMPLETE)", required=True):
            app.update("template-v2.yaml")
    finally:
        courselab.set_schedule_speedup(1)

    with app.step("the new code is published as version 2"):
        versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=function)["Versions"]]
        assert versions == ["$LATEST", "1", "2"], versions

    with app.step("after the update, live points at version 2 with no traffic left on version 1"):
        alias = lam.get_alias(FunctionName=function, Name="live")
        alias.pop("ResponseMetadata")
        assert alias["FunctionVersion"] == "2", alias
        assert not alias.get("RoutingConfig", {}).get("AdditionalVersionWeights"), alias
        assert app.invoke(function, qualifier="live") == {"greeting": "hello!", "version": "2"}

    with app.step("CodeDeploy ran one deployment of the new version, which succeeded"):
        codedeploy = boto3.client("codedeploy")
        application = codedeploy.list_applications()["applications"]
        assert len(application) == 1, application
        groups = codedeploy.list_deployment_groups(applicationName=application[0])["deploymentGroups"]
        deployments = codedeploy.list_deployments(applicationName=application[0], deploymentGroupName=groups[0])[
            "deployments"
        ]
        assert len(deployments) == 1, deployments
        info = codedeploy.get_deployment(deploymentId=deployments[0])["deploymentInfo"]
        assert info["status"] == "Succeeded", info
