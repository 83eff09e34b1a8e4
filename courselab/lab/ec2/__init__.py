"""EC2 in the lab: instances announce their state changes on EventBridge, as EC2 does.

EC2 sends an "EC2 Instance State-change Notification" to the default event bus for every
transition of an instance: ``pending``, ``running``, ``stopping``, ``stopped``, ``shutting-down``,
``terminated`` (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html).
Stock moto changes the state and sends nothing, so a rule on ``aws.ec2`` events never matches.
The lab puts each transition on the default bus of the instance's account and Region, where rules
deliver it to their targets (Lambda, SQS, Logs ...). Lab difference: moto moves an instance to its
final state at once, so the in-between event (``pending``, ``stopping``, ``shutting-down``) and the
final one are sent together, in that order. The extension installs on the first EC2 request
(moto's EC2 takes about a second to import, which every lab start would pay): instances that
CloudFormation launches before any EC2 call announce nothing.
"""
