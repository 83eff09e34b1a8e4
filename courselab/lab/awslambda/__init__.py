"""Lambda in the lab: handlers really run, in execution environments that are local processes.

Stock moto runs handler code in Docker, or answers with a canned string when Docker is off. The
lab replaces ``LambdaFunction.invoke`` (:mod:`.patches`) and runs every request through one
runtime interface (:mod:`.runtime`): :mod:`.assignment` hands out warm or new environments within
the function's and the account's concurrency
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html) and the lab's own caps
(:mod:`.limits`); :mod:`.fork_runtime` forks each environment from a fork server that has imported
the runtime and boto3 once (:mod:`.fork_server`, :mod:`.zygote`), and :mod:`.process_runtime`
starts each as a fresh process where fork is not available; :mod:`.environments` is one
environment and :mod:`.bootstrap` the runtime inside it. :mod:`.async_invoke` is the event queue
of asynchronous invocation, :mod:`.versions` versions, aliases and payload quotas,
:mod:`.function_urls` function URLs, :mod:`.event_source_mapping` the SQS and stream pollers,
:mod:`.invoke_api` the Invoke API's path in front of moto's Flask dispatch (the same answers, less
CPU a request).

Where the lab differs from AWS (each module says more): CPU does not grow with ``MemorySize``;
only Python runs, on the lab's own Python; a burst goes through one server process and one fork
server on the machine's cores, so 1,000 concurrent cold starts take several seconds where AWS adds
up to 1,000 environments every 10 seconds and starts them side by side
(https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html); ``/tmp`` is a folder of the
lab's; the lab caps environments and their memory by the machine's
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html gives AWS's quotas).
"""
