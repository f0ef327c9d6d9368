"""Vendor releases as an axis: a spec names what each release documents differently (x-apiconform
`releases`), a run picks one with --release, and the report says which one was judged (D-BRM-30)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform import contract
from apiconform.contract.loading import _schema
from apiconform.engine import config, options
from apiconform.reporting.document import release_label

BRM = "brm-adjust-balance"

# Oracle 12.0's own example record (sources/oracle-brm-op-adjustbalance-get.txt), cut to what matters here.
RECORD_12 = {
    "id": "0.0.0.1+-item-adjustment+221139",
    "amount": {"amount": -1.0, "units": "USD"},
    "logicalResource": None,
    "product": None,
    "partyAccount": {"id": "0.0.0.1+-account+228862", "name": "Daniel R"},
    "status": "COMPLETED",
    "usageType": "MONETARY",
    "@type": "AdjustBalance",
}
# The same record as Oracle 15.0 and 15.1 document it: logicalResource and product are arrays.
RECORD_15 = {
    **RECORD_12,
    "logicalResource": [],
    "product": [{"id": "0.0.0.1+-purchased_product+228862", "name": "Standard Plan"}],
}


def _errors(loaded: contract.Contract, record: dict[str, Any]) -> list[str]:
    schema = {"$ref": "#/components/schemas/AdjustBalance"}
    return sorted(
        "/".join(map(str, error.absolute_path)) for error in loaded.schema_validator(schema).iter_errors(record)
    )


def test_each_release_judges_the_shape_its_documents_give_and_differs_only_there():
    default, release_15 = contract.load(BRM), contract.load(BRM, "15")
    assert (default.release and default.release.name, release_15.release and release_15.release.name) == (
        "12.0",
        "15.0",
    )
    assert _errors(default, RECORD_12) == [] and _errors(release_15, RECORD_15) == []
    assert _errors(default, RECORD_15) == ["logicalResource", "product"]
    # A 12.0 record with no logical resource or product (null) is a valid 15.0 record too.
    assert _errors(release_15, RECORD_12) == []
    assert _errors(release_15, {**RECORD_12, "product": {"id": "0.0.0.1+-purchased_product+1"}}) == ["product"]


def test_a_release_is_named_by_its_name_a_version_or_a_major_number():
    named = [contract.load(BRM, name).release for name in ("15", "15.0", "15.1", "12", "12.0")]
    assert [release.name if release else None for release in named] == ["15.0", "15.0", "15.0", "12.0", "12.0"]
    with pytest.raises(
        contract.ContractError, match=r"--release '15\.2': no release .* 12\.0 \(12\.0\), 15\.0 \(15\.0, 15\.1\)"
    ):
        contract.load(BRM, "15.2")
    with pytest.raises(contract.ContractError, match="declares no releases"):
        contract.load("bitgo-oes", "15")


def test_a_release_rewords_the_sentences_it_words_differently_and_leaves_the_document_as_written():
    default, release_15 = contract.load(BRM), contract.load(BRM, "15.0")
    assert (
        default.requirement("BRM-FILTER-ID").quote
        == "Retrieves the adjustment with the specified ID or adjustment number."
    )
    reworded = release_15.requirement("BRM-FILTER-ID")
    assert (reworded.quote, reworded.source.key) == ("Retrieves the adjustment with the specified ID.", "brm-ref-15.0")
    assert release_15.requirement("BRM-PAGE-LIMIT") == default.requirement("BRM-PAGE-LIMIT")
    assert default.openapi == yaml.safe_load(default.spec_path.read_text())
    assert "impactedBucket" not in release_15.openapi["components"]["schemas"]["AdjustBalance"]["properties"]


@pytest.fixture
def brm_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A specs folder holding a copy of the BRM spec: `edit(function)` changes its spec document."""
    specs = tmp_path / "specs"
    shutil.copytree(contract.specs_dir() / "schemas", specs / "schemas")
    shutil.copytree(contract.specs_dir() / "brm-tmf654", specs / "brm-tmf654")
    spec_path = specs / "brm-tmf654" / "adjust-balance.openapi.yaml"
    monkeypatch.setenv("APICONFORM_SPECS", str(specs))
    _schema.cache_clear()

    def edit(change: Any) -> None:
        document = yaml.safe_load(spec_path.read_text())
        change(document["x-apiconform"]["releases"]["list"]["15.0"])
        spec_path.write_text(yaml.safe_dump(document, sort_keys=False))

    yield edit
    _schema.cache_clear()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            lambda release: release["changes"][0].update(quote="logicalResource Type: object"),
            "is not in oracle-brm-15.0",
        ),
        (lambda release: release["changes"][0].update(at="/components/schemas/Nowhere/properties/x"), "names nothing"),
        (
            lambda release: release["changes"][2].update(at="/components/schemas/AdjustBalance/properties/none"),
            "names nothing",
        ),
        (
            lambda release: release["changes"].append(
                {**release["changes"][0], "at": "/x-apiconform/releases/default"}
            ),
            "cannot change the releases",
        ),
        (lambda release: release["quotes"].update({"BRM-NO-SUCH": release["quotes"]["BRM-FILTER-ID"]}), "BRM-NO-SUCH"),
        (
            lambda release: release["quotes"]["BRM-FILTER-ID"].update(quote="Retrieves every adjustment."),
            "BRM-FILTER-ID",
        ),
        # A requirement the release leaves out while the semantics still name it.
        (lambda release: release.update(without=["BRM-FILTER-ID"]), "missing from the catalog: \\['BRM-FILTER-ID'\\]"),
    ],
)
def test_a_release_that_says_what_its_documents_do_not_is_refused(brm_copy, change, said):
    brm_copy(change)
    with pytest.raises(contract.ContractError, match=said):
        contract.load(BRM, "15")
    contract.load(BRM)  # the default release does not read the 15.0 entry's changes


def test_a_release_leaves_out_what_it_does_not_document(brm_copy):
    def without_case_variants(release: dict[str, Any]) -> None:
        release["without"] = ["BRM-FILTER-CASE-VARIANTS"]
        for name in ("status", "usageType"):
            release["changes"].append(
                {"at": f"/x-apiconform/filters/{name}/case-variants-requirement", "remove": True,
                 "source": "brm-ref-15.0", "quote": "Retrieves the adjustment with the specified item status."}
            )  # fmt: skip

    brm_copy(without_case_variants)
    ids = {requirement.id for requirement in contract.load(BRM, "15").requirements}
    assert "BRM-FILTER-CASE-VARIANTS" not in ids and "BRM-FILTER-ID" in ids
    assert "BRM-FILTER-CASE-VARIANTS" in {requirement.id for requirement in contract.load(BRM).requirements}


def test_the_run_option_names_a_release_per_api_or_for_every_api_that_has_releases():
    every = {api: contract.load(api) for api in contract.api_names()}
    assert config.chosen_releases(["15"], every) == {BRM: "15"}
    assert config.chosen_releases([f"{BRM}=15.1"], every) == {BRM: "15.1"}
    for values, said in (
        (["bitgo-oes=15"], "the spec of bitgo-oes declares releases"),
        (["nobody=15"], "'nobody' is not an API this run tests"),
        (["15", f"{BRM}=12"], "two releases"),
        ([f"{BRM}="], "expected RELEASE"),
    ):
        with pytest.raises(config.ConfigurationError, match=said):
            config.chosen_releases(values, every)
    with pytest.raises(config.ConfigurationError, match="no spec of this run declares releases"):
        config.chosen_releases(["15"], {"bitgo-oes": every["bitgo-oes"]})
    released = config.released_contracts({BRM: every[BRM]}, {BRM: "15"})
    assert released[BRM].release is not None and released[BRM].release.name == "15.0"
    with pytest.raises(config.ConfigurationError, match="no release"):
        config.released_contracts({BRM: every[BRM]}, {BRM: "16"})


def test_both_doors_take_the_release_and_the_run_config_carries_it(tmp_path: Path):
    assert "--release" in [flag for flag, _ in options.run_options()]
    run_config = config.run_config({"api": BRM, "release": ["15"], "report_dir": str(tmp_path)})
    assert run_config.releases == {BRM: "15"}
    assert config.contract_of(run_config, BRM).release.name == "15.0"  # type: ignore[union-attr]


def test_the_reports_say_which_release_was_judged():
    spec = {
        "release": {"name": "15.0", "title": "Oracle BRM 15.0 and 15.1", "versions": ["15.0", "15.1"], "default": False}
    }
    assert release_label({"spec": spec}) == "release 15.0 (15.0, 15.1): Oracle BRM 15.0 and 15.1"
    assert release_label({"spec": {"release": None}}) is None and release_label({"spec": {}}) is None


def test_the_catalog_lists_the_releases_and_shows_the_one_asked_for(capsys: pytest.CaptureFixture[str]):
    from apiconform import cli

    assert cli.main(["catalog", "--api", BRM, "--release", "15"]) == 0
    shown = capsys.readouterr().out
    assert "release 15.0 shown" in shown and "12.0 (12.0, default)" in shown and "15.0 (15.0, 15.1)" in shown
    assert cli.main(["catalog", "--api", "bitgo-oes", "--release", "15"]) == 2
    assert "declares no releases" in capsys.readouterr().err
