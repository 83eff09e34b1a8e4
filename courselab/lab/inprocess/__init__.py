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
  each request, inside ``time.sleep`` (:mod:`.clock`) and at the end of each notebook cell;
* Lambda: :class:`courselab.lab.awslambda.inprocess_runtime.InProcessRuntime` runs each execution
  environment in a module namespace of its own, with a deadline instead of a killed process.

Packages with compiled code that have no WebAssembly build offline (``cryptography``, and
``rpds-py`` under ``openapi_spec_validator``) are replaced by import shims (:mod:`.shims`) whose
every use raises ``NotImplementedError``: moto imports them at start, and only a cell that signs
(Cognito's tokens) or validates an OpenAPI document needs them. Differences from the local lab,
listed in the appendix "The local lab": one
request runs at a time, so concurrent invocations (a thread pool) cannot run; ECS tasks, Docker and
other processes do not run; memory use is the whole Python heap.
"""
