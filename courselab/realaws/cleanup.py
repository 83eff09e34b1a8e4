"""``python -m courselab cleanup``: find everything carrying the course tag, and delete it on request.

A learner who ran the chapters on real AWS (``COURSELAB_TARGET=aws``) gets every resource listed,
whatever chapter made it and even if a clean-up cell was skipped: the Resource Groups Tagging API
(https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html) finds
tagged resources of most services; the services it may miss (IAM roles, ECR, EventBridge rules,
API Gateway, Lambda) are also listed with their own APIs. Nothing is deleted without ``--yes``.
Deletion goes in dependency order (stacks, then what uses a resource, then the resource, roles last).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from courselab.realaws.tags import TAG_KEY, TAG_VALUE


@dataclass(frozen=True)
class Resource:
    arn: str

    @property
    def service(self) -> str:
        return self.arn.split(":")[2]

    @property
    def kind(self) -> str:
        """The resource type of the ARN: ``function``, ``table``, ``bucket``, ``restapis`` ..."""
        rest = self.arn.split(":", 5)[5]
        if self.service in ("s3", "sqs", "sns"):
            return {"s3": "bucket", "sqs": "queue", "sns": "topic"}[self.service]
        if self.service == "apigateway":
            return rest.strip("/").split("/")[0]
        return rest.replace(":", "/").split("/")[0]

    @property
    def name(self) -> str:
        rest = self.arn.split(":", 5)[5]
        if self.service in ("s3", "sqs", "sns"):
            return rest
        if self.service == "logs":
            return rest.split(":", 1)[1].removesuffix(":*")
        return rest.replace(":", "/").split("/", 1)[-1]


#: Deleted first to last; anything else comes between the listed groups and "iam".
ORDER = ("cloudformation", "lambda/event-source-mapping", "elasticloadbalancing", "ecs", "events", "lambda")


def _rank(resource: Resource) -> int:
    key = f"{resource.service}/{resource.kind}"
    for i, name in enumerate(ORDER):
        if key == name or resource.service == name:
            return i
    return len(ORDER) + (2 if resource.service == "iam" else 1)


def _has_course_tag(tags: Any) -> bool:
    if isinstance(tags, dict):
        return tags.get(TAG_KEY) == TAG_VALUE
    return any(
        (t.get("Key") or t.get("key")) == TAG_KEY and (t.get("Value") or t.get("value")) == TAG_VALUE for t in tags
    )


def find(session: Any) -> list[Resource]:
    """Every resource in the session's region (and IAM) tagged with the course tag, in deletion order."""
    arns: set[str] = set()
    tagging = session.client("resourcegroupstaggingapi")
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": TAG_KEY, "Values": [TAG_VALUE]}]):
        arns.update(item["ResourceARN"] for item in page["ResourceTagMappingList"])
    for finder in FINDERS:
        arns.update(finder(session))
    arns -= set(_inactive_clusters(session, [a for a in arns if Resource(a).kind == "cluster" and ":ecs:" in a]))
    return sorted((Resource(a) for a in arns), key=lambda r: (_rank(r), r.arn))


def _inactive_clusters(session: Any, arns: list[str]) -> Iterator[str]:
    """A deleted ECS cluster stays visible, INACTIVE, for a while: it is gone for our purpose."""
    if arns:
        for cluster in session.client("ecs").describe_clusters(clusters=arns)["clusters"]:
            if cluster["status"] == "INACTIVE":
                yield cluster["clusterArn"]


def _iam_roles(session: Any) -> Iterator[str]:
    iam = session.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if _has_course_tag(iam.list_role_tags(RoleName=role["RoleName"])["Tags"]):
                yield role["Arn"]


def _ecr_repositories(session: Any) -> Iterator[str]:
    ecr = session.client("ecr")
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repo in page["repositories"]:
            if _has_course_tag(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]):
                yield repo["repositoryArn"]


def _event_rules(session: Any) -> Iterator[str]:
    events = session.client("events")
    for page in events.get_paginator("list_rules").paginate():
        for rule in page["Rules"]:
            if _has_course_tag(events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]):
                yield rule["Arn"]


def _lambda_functions(session: Any) -> Iterator[str]:
    lam = session.client("lambda")
    for page in lam.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if _has_course_tag(lam.list_tags(Resource=function["FunctionArn"]).get("Tags", {})):
                yield function["FunctionArn"]


def _apis(session: Any) -> Iterator[str]:
    region = session.region_name
    for page in session.client("apigateway").get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if _has_course_tag(api.get("tags", {})):
                yield f"arn:aws:apigateway:{region}::/restapis/{api['id']}"
    for api in session.client("apigatewayv2").get_apis().get("Items", []):
        if _has_course_tag(api.get("Tags", {})):
            yield f"arn:aws:apigateway:{region}::/apis/{api['ApiId']}"


FINDERS: tuple[Callable[[Any], Iterator[str]], ...] = (
    _iam_roles,
    _ecr_repositories,
    _event_rules,
    _lambda_functions,
    _apis,
)


def delete(session: Any, resource: Resource) -> None:
    """Delete one resource (and what it holds: objects, targets, policies); raise with AWS's message."""
    deleter = DELETERS.get(f"{resource.service}/{resource.kind}") or DELETERS.get(resource.service)
    if deleter is None:
        raise ValueError(f"courselab does not know how to delete {resource.service} {resource.kind}: delete it by hand")
    deleter(session, resource)


def _delete_bucket(session: Any, r: Resource) -> None:
    s3 = session.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=r.name):
        doomed = [
            {"Key": o["Key"], "VersionId": o["VersionId"]}
            for o in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=r.name, Delete={"Objects": doomed, "Quiet": True})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=r.name):
        doomed = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if doomed:
            s3.delete_objects(Bucket=r.name, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=r.name)


def _delete_queue(session: Any, r: Resource) -> None:
    sqs = session.client("sqs")
    account = r.arn.split(":")[4]
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=r.name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def _delete_rule(session: Any, r: Resource) -> None:
    events = session.client("events")
    parts = r.name.split("/")
    bus, name = (parts[0], parts[1]) if len(parts) == 2 else ("default", parts[0])
    targets = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
    if targets:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=[t["Id"] for t in targets], Force=True)
    events.delete_rule(Name=name, EventBusName=bus, Force=True)


def _delete_role(session: Any, r: Resource) -> None:
    iam = session.client("iam")
    name = r.name.rsplit("/", 1)[-1]
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


def _delete_ecs_cluster(session: Any, r: Resource) -> None:
    ecs = session.client("ecs")
    for arn in ecs.list_services(cluster=r.name).get("serviceArns", []):
        ecs.delete_service(cluster=r.name, service=arn, force=True)
    for arn in ecs.list_tasks(cluster=r.name).get("taskArns", []):
        ecs.stop_task(cluster=r.name, task=arn, reason="courselab cleanup")
    ecs.delete_cluster(cluster=r.name)


def _delete_api(session: Any, r: Resource) -> None:
    if r.kind == "restapis":
        session.client("apigateway").delete_rest_api(restApiId=r.name.split("/")[-1])
    elif r.kind == "apis":
        session.client("apigatewayv2").delete_api(ApiId=r.name.split("/")[-1])
    else:
        raise ValueError(f"courselab does not delete API Gateway {r.kind} alone: it goes with its API")


def _delete_log_group(session: Any, r: Resource) -> None:
    session.client("logs").delete_log_group(logGroupName=r.name)


def _delete_lambda(session: Any, r: Resource) -> None:
    lam = session.client("lambda")
    if r.kind == "event-source-mapping":
        lam.delete_event_source_mapping(UUID=r.name.split("/")[-1])
    else:
        lam.delete_function(FunctionName=r.arn)


def _delete_elb(session: Any, r: Resource) -> None:
    elb = session.client("elbv2")
    if r.kind == "targetgroup":
        elb.delete_target_group(TargetGroupArn=r.arn)
    else:
        elb.delete_load_balancer(LoadBalancerArn=r.arn)


DELETERS: dict[str, Callable[[Any, Resource], None]] = {
    "s3": _delete_bucket,
    "sqs": _delete_queue,
    "sns": lambda s, r: s.client("sns").delete_topic(TopicArn=r.arn),
    "dynamodb/table": lambda s, r: s.client("dynamodb").delete_table(TableName=r.name),
    "lambda": _delete_lambda,
    "logs/log-group": _delete_log_group,
    "events/rule": _delete_rule,
    "events/event-bus": lambda s, r: s.client("events").delete_event_bus(Name=r.name),
    "iam/role": _delete_role,
    "ecr/repository": lambda s, r: s.client("ecr").delete_repository(repositoryName=r.name, force=True),
    "ecs/cluster": _delete_ecs_cluster,
    "ecs/task-definition": lambda s, r: s.client("ecs").deregister_task_definition(taskDefinition=r.arn),
    "apigateway": _delete_api,
    "states/stateMachine": lambda s, r: s.client("stepfunctions").delete_state_machine(stateMachineArn=r.arn),
    "cloudformation/stack": lambda s, r: s.client("cloudformation").delete_stack(StackName=r.arn),
    "elasticloadbalancing": _delete_elb,
}


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
