"""The coordinator's importation-risk table: members' latest reports on the built-in network.

The computation is `epicommons.risk.reported.importation_from_reports`; this module only holds
the network the server loads once and the horizon the page uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import pandas as pd

from epicommons.world.network import Network

HORIZON = 14


@cache
def network() -> Network:
    """The built-in country-level travel network, loaded once per server process."""
    from epicommons.world.sources import load_network

    return load_network("builtin")


def importation_table(cases7: Mapping[str, float]) -> tuple[pd.DataFrame, list[str]]:
    """Risk per destination country from the members' 7-day cases; also the sources left out."""
    from epicommons.risk.reported import importation_from_reports

    return importation_from_reports(network(), cases7, HORIZON)
