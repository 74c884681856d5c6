"""DHIS2's Web API subset (`/dhis2/api/`): data value sets in JSON, CSV and ADX, periods, the
import summary, metadata answers; translated through `hub.mapping` onto the hub's one import path.
"""
