"""Elastic Load Balancing in the lab: ALB listeners that answer HTTP, rules, health checks.

Stock moto stores load balancers, listeners, rules and target groups and answers no HTTP. The lab's
ALB extension serves each listener on loopback (:mod:`~courselab.lab.elbv2.listeners`, with
:func:`~courselab.lab.elbv2.listeners.listener_url`), routes by rule priority
(:mod:`~courselab.lab.elbv2.rules`), health-checks targets (:mod:`~courselab.lab.elbv2.health`) and
keys targets by Id and Port (:mod:`~courselab.lab.elbv2.patches`). Where a target really listens
comes from :mod:`courselab.lab.network`; nothing here imports ECS. Importing this package imports
no moto.
"""
