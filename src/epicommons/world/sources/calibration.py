"""Cited air-traffic totals that turn route counts and gravity weights into travellers per day.

ICAO reported 4.5 billion passengers on scheduled services in 2019 and 1.8 billion in 2020, with
international passenger numbers down 74 % and domestic down 50 % from 2019 (ICAO, "2020 passenger
totals drop 60 percent as COVID-19 assault on international mobility continues", press release,
Montréal, 15 January 2021). Solving I + D = 4.5 and 0.26 I + 0.50 D = 1.8 gives the 2019 split:
I = 1.875 billion international and D = 2.625 billion domestic passengers (rounded inputs, so take
±10 %). ICAO counts a passenger once per flight number, so a connection counts twice.
"""

from __future__ import annotations

DAYS_PER_YEAR = 365.0
PASSENGERS_2019 = 4.5e9
INTERNATIONAL_PASSENGERS_2019 = (0.50 * PASSENGERS_2019 - 1.8e9) / (0.50 - 0.26)
DOMESTIC_PASSENGERS_2019 = PASSENGERS_2019 - INTERNATIONAL_PASSENGERS_2019

#: International air travellers per day (2019), the total every international network is scaled to.
INTERNATIONAL_PER_DAY = INTERNATIONAL_PASSENGERS_2019 / DAYS_PER_YEAR
#: Domestic air travellers per day (2019), used only as a check on the airport-level network.
DOMESTIC_PER_DAY = DOMESTIC_PASSENGERS_2019 / DAYS_PER_YEAR

CITATION = (
    "ICAO 2019: 4.5 billion scheduled passengers, of which 1.875 billion international "
    "(derived from ICAO's 15 Jan 2021 release: 2020 international -74 %, domestic -50 %, "
    "total 1.8 billion)"
)
