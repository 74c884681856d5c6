"""Groups: built-in continents and WHO regions, user groups from TOML and CSV, bad files;
and the `epicommons world countries` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from epicommons.cli import main
from epicommons.errors import InputError, NotACountryError, UnknownCountryError
from epicommons.world.countries import CONTINENTS, WHO_REGIONS, registry
from epicommons.world.groups import Group, builtin_groups, read_groups, resolve_group

REPO = Path(__file__).resolve().parents[1]


def test_builtin_groups_partition_the_registry():
    groups = builtin_groups()
    assert set(groups) == {
        "world",
        *(f"continent:{c}" for c in CONTINENTS),
        *(f"who:{r}" for r in WHO_REGIONS),
        "income:high",
    }
    codes = set(registry().codes)
    assert groups["world"].members == codes
    continents = [groups[f"continent:{c}"].members for c in CONTINENTS]
    assert sum(len(m) for m in continents) == len(codes)  # disjoint ...
    assert set().union(*continents) == codes  # ... and covering
    regions = [groups[f"who:{r}"].members for r in WHO_REGIONS]
    assert sum(len(m) for m in regions) == len(set().union(*regions))
    assert {"FRA", "DEU", "ITA"} <= groups["continent:Europe"].members
    assert {"BRA", "ARG"} <= groups["continent:South America"].members
    assert "MEX" in groups["continent:North America"].members
    assert {"NGA", "ZAF"} <= groups["who:AFR"].members and "EGY" in groups["who:EMR"].members


def test_high_income_group_is_the_world_bank_fy2021_list():
    """World Bank FY2021 high-income economies (83; the Channel Islands have no ISO code):
    members and non-members as in the published classification."""
    hic = builtin_groups()["income:high"].members
    assert len(hic) == 82
    assert {"USA", "DEU", "JPN", "KOR", "CHL", "URY", "ROU", "MUS", "NRU", "PLW"} <= hic
    assert not {"CHN", "IND", "BRA", "RUS", "ARG", "MEX", "TUR", "NGA"} & hic
    assert hic <= set(registry().codes)
    assert resolve_group("Income:High") == hic


def test_resolve_group_accepts_groups_and_countries():
    assert resolve_group("WHO:eur") == builtin_groups()["who:EUR"].members
    assert resolve_group("Korea, South") == frozenset({"KOR"})
    user = {"partners": Group("partners", frozenset({"FRA", "SEN"}))}
    assert resolve_group("partners", user) == {"FRA", "SEN"}
    with pytest.raises(InputError, match="closest matches: who:EUR"):
        resolve_group("who:EUX")
    with pytest.raises(NotACountryError):
        resolve_group("Diamond Princess")


def test_toml_groups_resolve_names_codes_and_builtin_groups(tmp_path):
    path = tmp_path / "partners.toml"
    path.write_text(
        "[groups.partners]\n"
        'description = "Members of the joint response"\n'
        'members = ["France", "deu", "Korea, South", "Côte d\'Ivoire"]\n'
        "\n"
        "[groups.sahel]\n"
        'members = ["Mali", "Niger", "Burkina Faso", "who:SEAR"]\n',
        encoding="utf-8",
    )
    groups = read_groups(path)
    assert groups["partners"].members == {"FRA", "DEU", "KOR", "CIV"}
    assert groups["partners"].description == "Members of the joint response"
    assert groups["sahel"].members == {"MLI", "NER", "BFA"} | builtin_groups()["who:SEAR"].members


def test_csv_groups(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("group,member\nnordic,Norway\nnordic,SE\nbaltic,Estonia\nnordic,Finland\n")
    groups = read_groups(path)
    assert groups == {
        "nordic": Group("nordic", frozenset({"NOR", "SWE", "FIN"})),
        "baltic": Group("baltic", frozenset({"EST"})),
    }


def test_bad_toml_member_names_file_line_and_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        '# partners\n[groups.partners]\nmembers = [\n  "France",\n  "Frence",\n]\n',
        encoding="utf-8",
    )
    with pytest.raises(UnknownCountryError) as info:
        read_groups(path)
    error = info.value
    assert (error.source, error.line, error.field) == (str(path), 5, "groups.partners.members[1]")
    assert "France (FRA)" in str(error)


def test_bad_csv_member_names_file_line_and_field(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("group,member\nnordic,Norway\nnordic,MS Zaandam\n")
    with pytest.raises(NotACountryError) as info:
        read_groups(path)
    assert (info.value.source, info.value.line, info.value.field) == (str(path), 3, "member")


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("a.toml", "[groups.x]\nmembers = []\n", "non-empty list"),
        ("a.toml", "[groups.x]\nmembers = [1]\n", "country name or code"),
        ("a.toml", '[groups.x]\nmember = ["FRA"]\n', "unexpected key"),
        ("a.toml", '[groups."who:EUR"]\nmembers = ["FRA"]\n', "reserved"),
        ("a.toml", "[groups.x\n", "not valid TOML"),
        ("a.toml", 'title = "no groups"\n', r"\[groups.NAME\]"),
        ("a.csv", "name,country\nx,FRA\n", "columns 'group' and 'member'"),
        ("a.csv", "group,member\nx,\n", "country name or code"),
        ("a.txt", "x", ".toml or .csv"),
    ],
)
def test_bad_group_files_raise_one_input_error(tmp_path, name, text, match):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match) as info:
        read_groups(path)
    assert info.value.source == str(path)


def test_missing_group_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_groups(tmp_path / "none.toml")


def test_cli_lists_all_countries(capsys):
    assert main(["world", "countries"]) == 0
    out = capsys.readouterr().out
    assert f"{len(registry())} countries" in out
    assert "CHN" in out and "ZWE" in out and "1,424,932,000" in out  # WPP 2022, China 2020


def test_cli_search_year_and_group(capsys, tmp_path):
    assert main(["world", "countries", "--search", "korea", "--year", "2050"]) == 0
    out = capsys.readouterr().out
    assert "KOR" in out and "PRK" in out and "2 countries" in out and "FRA" not in out
    path = tmp_path / "g.csv"
    path.write_text("group,member\nduo,France\nduo,Senegal\n")
    assert main(["world", "countries", "--group", "duo", "--groups-file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "FRA" in out and "SEN" in out and "2 countries" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--search", "zzqx"], "no country matches 'zzqx'"),
        (["--year", "1800"], "1950-2100"),
        (["--group", "nowhere"], "unknown group or country 'nowhere'"),
        (["--groups-file", "x.csv"], "--groups-file needs --group"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(capsys, args, message):
    assert main(["world", "countries", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_cli_help_has_an_example(capsys):
    assert main(["world", "countries", "--help"]) == 0
    assert "Example:" in capsys.readouterr().out


def test_installed_command_runs_as_a_subprocess():
    exe = Path(sys.executable).parent / "epicommons"  # the environment running the tests
    assert exe.exists(), "make test installs the project into .venv"
    command = [str(exe)]
    done = subprocess.run(
        [*command, "world", "countries", "--search", "Holy See"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "VAT" in done.stdout
    bad = subprocess.run(
        [*command, "world", "countries", "--search", "zzqx"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")
