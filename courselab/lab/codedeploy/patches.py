"""What the lab changes in moto's CodeDeploy: deployments that run, and the actions they need.

* ``CodeDeployResponse.create_deployment``: the deployment is stored as moto stores it (with an id
  as CodeDeploy forms them, ``d-`` and nine characters) and handed to the lab's clock
  (:func:`courselab.lab.codedeploy.deployments.start`).
* New actions (:mod:`.api`): ``PutLifecycleEventHookExecutionStatus``, ``StopDeployment``,
  ``Get``/``List``/``Create``/``DeleteDeploymentConfig``, ``ListDeploymentTargets``,
  ``GetDeploymentTarget``, ``BatchGetDeploymentTargets``.
* ``responses._deployment_info``: ``errorInformation`` and ``rollbackInfo`` of the lab's run (moto
  answers ``{}``); ``responses._deployment_group_info``: the ``alarmConfiguration`` moto stored.
"""

from __future__ import annotations

from courselab.lab.codedeploy import api
from courselab.lab.patching import Patches

patches = Patches(__name__)
_RESPONSES = "moto.codedeploy.responses"

patches.replace(f"{_RESPONSES}:CodeDeployResponse.create_deployment")(api.create_deployment)
for _action in api.ACTIONS[1:]:
    patches.add(f"{_RESPONSES}:CodeDeployResponse.{_action.__name__}", _action)
patches.wrap(f"{_RESPONSES}:_deployment_info")(api.deployment_info)
patches.wrap(f"{_RESPONSES}:_deployment_group_info")(api.deployment_group_info)
