"""The lab without sockets, threads or processes: what runs it in a reader's browser (Pyodide).

Stock moto in server mode needs a socket to listen on, the lab's scheduler a thread, and the Lambda
runtime a process per execution environment; a Python compiled to WebAssembly has none of them
(``Thread.start`` raises, a socket cannot connect, ``subprocess`` raises ``OSError``). In-process
mode (``sys.platform == "emscripten"``, or ``COURSELAB_IN_PROCESS=1`` to try it on CPython) keeps
the lab's behaviour and swaps the three mechanisms:

* HTTP: every request to the lab's loopback endpoint, from botocore, ``urllib`` or ``requests``,
  is handed to the lab's WSGI app in this process (:mod:`.transport`, installed by :mod:`.patches`);
  an address nothing of the lab answers at is refused, as a closed port would be;
* background work: the :class:`courselab.lab.scheduler.CooperativeScheduler` runs due jobs around
  each request, inside ``time.sleep`` (:mod:`.clock`) and at the end of each notebook cell, but
  never while a Lambda handler runs (they run after it, where on AWS they run beside it);
* Lambda: :class:`courselab.lab.awslambda.inprocess_runtime.InProcessRuntime` runs each execution
  environment (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html) in a
  module namespace of its own, with a deadline instead of a killed process.

Packages with compiled code that have no WebAssembly build offline (``cryptography``, and
``rpds-py`` under ``openapi_spec_validator``) are replaced by import shims (:mod:`.shims`) whose
every use raises ``NotImplementedError``: moto imports them at start, and only a cell that signs
(Cognito's tokens, https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html)
or validates an OpenAPI document needs them. Differences from the local lab, listed in the
appendix section "The lab in your browser" (``chapters/appendix/local-lab.md``): one request runs
at a time, so concurrent invocations (a thread pool) cannot run; ECS tasks, Docker, load balancer
listeners and other processes or servers do not run; ``Max Memory Used`` is the whole WebAssembly
memory of the page.
"""
