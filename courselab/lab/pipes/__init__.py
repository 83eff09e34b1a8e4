"""EventBridge Pipes in the lab: refused loudly, because nothing would run them.

Stock moto stores pipes (``CreatePipe``, ``DescribePipe``, ``ListPipes``...) and moves their state
to ``RUNNING``, but never reads the source or calls the target: a pipe created there looks healthy
and does nothing. The lab has no engine for pipes
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes.html), so ``CreatePipe`` answers
AWS's ``ValidationException`` with a sentence saying that the lab does not run pipes and what to use
in the lab instead (an event source mapping, an EventBridge rule or Step Functions); the read and
delete actions stay moto's.
"""
