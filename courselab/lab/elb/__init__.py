"""Classic Load Balancers in the lab: TCP and HTTP listeners on loopback, instance health checks.

Stock moto stores classic load balancers (the ``elb`` API: listeners, registered instances, a
health check) and forwards nothing: every running instance is ``InService``. The lab's extension
opens each TCP and HTTP listener on a loopback port and relays its connections to the registered
instances that pass the load balancer's health check, round robin
(:mod:`~courselab.lab.elb.listeners`), and reports their real ``InService``/``OutOfService`` state
(:mod:`~courselab.lab.elb.patches`). It reuses the ELBv2 extension's TCP relay and health checks
(:mod:`courselab.lab.elbv2.tcp`, :mod:`courselab.lab.elbv2.health`) as code, not as an extension.
AWS: https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/introduction.html .

Where it differs from AWS: HTTP listeners relay whole connections (no ``X-Forwarded-*`` headers, no
per-request balancing), HTTPS and SSL listeners are refused, ECS services do not register in a CLB,
and moto's DNS name always says ``us-east-1``. Importing this package imports no moto.
"""
