"""README: build the image from src/ and push it to ECR, deploy with Image=<its URI>, wait for the
service to be stable, then open http://<LoadBalancerDns>/ (JSON greeting)."""

from pathlib import Path

import boto3

import courselab
from courselab import images

SHAPE = "ECS Fargate service behind an ALB (plain CloudFormation: VPC, ALB, ip target group, awsvpc)"


def parameters(app):
    # What `docker build` and `docker push` do for this app, with the course's builder: src/web.py in /app.
    source = Path(__file__).resolve().parent / "src" / "web.py"
    image = images.build({"web.py": source}, cmd=["python", "web.py"], env={"PORT": "8080"}, ports=[8080])
    return {"Image": images.push(image, "ecs-fargate-alb/web", "v1")}


def exercise(app):
    ecs, elbv2 = boto3.client("ecs"), boto3.client("elbv2")
    cluster, service = app.output("ClusterName"), app.output("ServiceName")

    def stable():
        found = ecs.describe_services(cluster=cluster, services=[service])["services"]
        return found and found[0]["runningCount"] == 2 and len(found[0]["deployments"]) == 1

    with app.step("the service becomes stable with 2 running tasks"):
        app.wait(stable, "2 running tasks", timeout=20)

    def healthy():
        health = elbv2.describe_target_health(TargetGroupArn=app.output("TargetGroupArn"))["TargetHealthDescriptions"]
        return len([h for h in health if h["TargetHealth"]["State"] == "healthy"]) == 2

    with app.step("both tasks are healthy targets (ip) of the target group", required=True):
        app.wait(healthy, "2 healthy targets", timeout=20)

    with app.step("GET / on the load balancer's listener answers 200 with the app's JSON"):
        url = courselab.listener_url(app.output("LoadBalancerDns"), 80)
        answer = app.http("GET", f"{url}/")
        assert answer.status == 200, (answer.status, answer.text)
        assert answer.json() == {"greeting": "hello from fargate"}, answer.text

    with app.step("the tasks' output reaches the awslogs log group"):
        app.wait(lambda: [m for m in app.log_messages(app.output("LogGroupName")) if "GET /" in m], "an access line")
