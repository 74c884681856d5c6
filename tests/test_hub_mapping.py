"""The DHIS2/FHIR mapping: validation naming the key, lookups both ways, `hub mapping import`.

The built-in mapping is checked against the WHO COVID-19 aggregate package's published metadata
(dhis2/metadata-package-development, COVID19_COMPLETE_V2_DHIS2.34/metadata.json): the UIDs and
codes below are copied from that file, not from the code under test.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.hub.mapping import check_members, default_mapping, default_text, load_mapping
from epicommons.hub.mapping_store import MappingCache, current_mapping, import_mapping
from epicommons.hub.models import AuditEntry, MappingFile
from test_hub_support import fresh_database, setup_hub

MAPPING = """
[dhis2.data_set]
uid = "pBOMPrpg1QX"
code = "EPI_WEEKLY"
name = "Weekly epidemiological report"
period_type = "Weekly"

[[dhis2.elements]]
uid = "f7n9E0hX8qk"
code = "CASES"
indicator = "new_cases"

[[dhis2.elements]]
uid = "eY5ehpbEsB7"
code = "DEATHS"
indicator = "new_deaths"

[[dhis2.elements]]
uid = "s46m5MS0hxu"
code = "MASKS_STOCK"
indicator = "stock"
item = "masks"
coc = { uid = "Prlt0C1RF0s", code = "FACILITY" }

[[dhis2.org_units]]
uid = "DiszpKrYNg8"
code = "KR"
member = "KOR"

[[dhis2.org_units]]
uid = "ImspTQPwCqd"
code = "JP"
member = "JPN"

[[fhir.measures]]
measure = "http://hl7.org/fhir/uv/saner/Measure/CDCPatientImpactAndHospitalCapacity"
group = "Beds"
population = "numC19HospPats"
indicator = "hospital_occupancy"
"""


def test_lookups_go_both_ways():
    m = load_mapping(MAPPING, "m.toml")
    cases = m.element("f7n9E0hX8qk", None, "UID")
    assert cases is not None and cases.key == ("new_cases", "")
    assert m.element("CASES", "default", "CODE") is cases  # the default combo is the total
    assert m.element("f7n9E0hX8qk", "HllvX50cXC0", "UID") is cases
    assert m.element("f7n9E0hX8qk", "Prlt0C1RF0s", "UID") is None  # a combo not mapped
    masks = m.element("MASKS_STOCK", "FACILITY", "CODE")
    assert masks is not None and masks.key == ("stock", "masks")
    assert m.element("s46m5MS0hxu", None, "UID") is None  # only its one combo is mapped
    assert m.element("CASES", None, "UID") is None  # a code is not a UID
    assert m.org_unit("KR", "CODE").member == "KOR"
    assert m.org_unit("ImspTQPwCqd", "UID").member == "JPN"
    assert m.org_unit("KR", "UID") is None
    assert m.element_for("new_deaths").code == "DEATHS"
    assert m.element_for("stock", "masks").uid == "s46m5MS0hxu"
    assert m.element_for("tests") is None
    assert m.org_unit_for("JPN").code == "JP"
    saner = m.measure(
        "http://hl7.org/fhir/uv/saner/Measure/CDCPatientImpactAndHospitalCapacity",
        "Beds",
        "numC19HospPats",
    )
    assert saner is not None and saner.indicator == "hospital_occupancy"


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (('indicator = "new_deaths"', 'indicator = "deaths"'), "dhis2.elements[1].indicator"),
        (('code = "DEATHS"', 'code = "CASES"'), "dhis2.elements[1].code: duplicate"),
        (('uid = "eY5ehpbEsB7"', 'uid = "f7n9E0hX8qk"'), "dhis2.elements[1].uid: duplicate"),
        (('indicator = "new_deaths"', 'indicator = "new_cases"'), "dhis2.elements[1].indicator"),
        (('code = "JP"', 'code = "KR"'), "dhis2.org_units[1].code: duplicate"),
        (('member = "JPN"', 'member = "KOR"'), "dhis2.org_units[1].member"),
        (('item = "masks"', 'item = ""'), "stock needs an item"),
        (('uid = "eY5ehpbEsB7"', 'uid = "eY5ehpbEsB"'), "dhis2.elements[1].uid"),
        (('member = "JPN"', 'member = "jpn"'), "dhis2.org_units[1].member"),
        (('period_type = "Weekly"', 'period_type = "Yearly"'), "dhis2.data_set.period_type"),
        (('code = "CASES"', 'code = "CASES"\ncolour = "red"'), "dhis2.elements[0].colour"),
    ],
)
def test_a_bad_mapping_is_one_error_naming_the_key(change, names):
    text = MAPPING.replace(*change)
    assert text != MAPPING
    with pytest.raises(InputError) as err:
        load_mapping(text, "m.toml")
    assert "m.toml" in str(err.value)
    assert names in str(err.value)


def test_not_toml_is_an_input_error():
    with pytest.raises(InputError, match="m.toml: not valid TOML"):
        load_mapping("[dhis2\n", "m.toml")


def test_a_member_the_hub_lacks_is_refused_by_key():
    m = load_mapping(MAPPING, "m.toml")
    check_members(m, {"KOR", "JPN"}, "m.toml")
    with pytest.raises(InputError, match=r"dhis2\.org_units\[1\]\.member: no member JPN"):
        check_members(m, {"KOR"}, "m.toml")


def test_the_default_is_the_who_covid19_aggregate_package():
    m = default_mapping()
    ds = m.dhis2.data_set
    assert (ds.uid, ds.code, ds.period_type) == ("uKtOZwDnIpM", "AGG_WEEKLY_SURV", "Weekly")
    published = {  # metadata.json: dataElements id, code
        "bmbNyNoJcXP": ("CV19_NEW_CONF_CASES", "new_cases"),
        "rBw83gVQLHK": ("CV19_NEW_CONF_DEATHS", "new_deaths"),
        "E1pXvzyZzKB": ("CV19_TESTED", "tests"),
    }
    for uid, (code, indicator) in published.items():
        assert m.element(uid, None, "UID") is m.element(code, None, "CODE")
        assert m.element(uid, None, "UID").indicator == indicator
    assert m.element("bmbNyNoJcXP", "X7SGUlfmJa5", "UID") is None  # "0-4 years, Female"
    assert m.dhis2.default_coc.uid == "HllvX50cXC0"  # categoryOptionCombos "default"
    assert m.dhis2.org_units == []


def test_mapping_import_command(tmp_path, capsys):
    fresh = fresh_database("sqlite", tmp_path)
    db, _ = setup_hub(fresh.url)  # members KOR, JPN, CHN, WHO
    try:
        good = tmp_path / "mapping.toml"
        good.write_text(MAPPING)
        with db.read() as s:
            assert current_mapping(s).dhis2.data_set.code == "AGG_WEEKLY_SURV"
        assert main(["hub", "mapping", "import", str(good), "--db", fresh.url]) == 0
        assert "3 data element(s), 2 organisation unit(s), 1 FHIR measure(s)" in (
            capsys.readouterr().out
        )
        with db.read() as s:
            assert current_mapping(s).dhis2.data_set.code == "EPI_WEEKLY"
            assert s.scalar(select(func.count()).where(AuditEntry.entity == "mapping")) == 1
        bad = tmp_path / "bad.toml"
        bad.write_text(MAPPING.replace('member = "JPN"', 'member = "FRA"'))
        assert main(["hub", "mapping", "import", str(bad), "--db", fresh.url]) == 2
        err = capsys.readouterr().err
        assert "dhis2.org_units[1].member: no member FRA" in err
        assert "Traceback" not in err
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(MappingFile)) == 1
            assert current_mapping(s).dhis2.data_set.code == "EPI_WEEKLY"
    finally:
        db.dispose()
        fresh.close()


def test_mapping_default_command_prints_the_builtin(capsys):
    assert main(["hub", "mapping", "default"]) == 0
    assert capsys.readouterr().out == default_text()


def test_the_cache_parses_each_mapping_once_and_sees_a_new_import(tmp_path):
    fresh = fresh_database("sqlite", tmp_path)
    db, _ = setup_hub(fresh.url)
    cache = MappingCache()
    try:
        assert cache.kept is None
        with db.read() as s:
            digest, default = cache.current(s)
            assert (digest, default.dhis2.data_set.code) == (None, "AGG_WEEKLY_SURV")
            assert cache.current(s)[1] is default  # not parsed again
        import_mapping(db, MAPPING, "test mapping")
        with db.read() as s:
            digest, imported = cache.current(s)
        assert digest == hashlib.sha256(MAPPING.encode()).hexdigest()
        assert imported.dhis2.data_set.code == "EPI_WEEKLY"
        assert cache.kept == (digest, imported)
        with db.read() as s:
            assert cache.current(s)[1] is imported
    finally:
        db.dispose()
        fresh.close()
