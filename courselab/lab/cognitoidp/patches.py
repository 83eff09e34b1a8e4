"""What the lab changes in moto's Cognito: a client without ``ReadAttributes`` reads every attribute.

See :mod:`courselab.lab.cognitoidp` for AWS's rule and links.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.patching import Patches

patches = Patches(__name__)


@patches.wrap("moto.cognitoidp.models:CognitoIdpUserPool.get_user_extra_data_by_client_id")
def get_user_extra_data_by_client_id(original: Any, self: Any, client_id: str, username: str) -> dict[str, Any]:
    """The user's attributes the client may read: all of them when the client lists none."""
    client = self.clients.get(client_id)
    if client is None or client.extended_config.get("ReadAttributes"):
        return original(self, client_id, username)
    return {a["Name"]: a["Value"] for a in self._get_user(username).attributes if a["Name"] != "sub"}
