"""Elastic Load Balancing in the lab: ALB listeners that answer HTTP, NLB listeners that relay TCP.

Stock moto stores load balancers, listeners, rules and target groups and answers no HTTP and no
TCP. The lab's ELBv2 extension serves each ALB listener on loopback
(:mod:`~courselab.lab.elbv2.listeners`, with :func:`~courselab.lab.elbv2.listeners.listener_url`),
routes by rule priority (:mod:`~courselab.lab.elbv2.rules`), relays each NLB TCP listener's
connections to one target per flow (:mod:`~courselab.lab.elbv2.network_listeners`, on
:mod:`~courselab.lab.elbv2.tcp`), health-checks targets over HTTP or TCP
(:mod:`~courselab.lab.elbv2.health`) and keys targets by Id and Port
(:mod:`~courselab.lab.elbv2.patches`), which also refuses the NLB listeners the lab cannot serve
(TLS, UDP, TCP_UDP). AWS: https://docs.aws.amazon.com/elasticloadbalancing/latest/network/introduction.html .
Where a target really listens comes from :mod:`courselab.lab.network`; nothing here imports ECS.
Importing this package imports no moto.
"""
