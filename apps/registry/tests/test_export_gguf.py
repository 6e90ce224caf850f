"""Exports to GGUF and to the K-quant types: the export list takes the K types and recipes, a
GGUF export is written from the same-type `.sou` its report measured and downloads as
`.gguf`, chat never serves it, another user can neither export nor download it, and a model
GGUF cannot carry is a 400 naming `format`."""

import pytest
import torch
from gguf import GGUFReader

from apps.registry import selectors, services, storage
from ml.sou import read_sou, write_sou

from .factories import ready_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def exports_url(version) -> str:
    return f"/api/v1/model-versions/{version.pk}/exports/"


def test_gguf_export_writes_a_gguf_file_with_the_same_type_sou_report(owner, api_client_for):
    # given a ready version
    client = api_client_for(owner)
    version = ready_version(owner)

    # when it is exported to GGUF at Q8_0 and at the Q4_K_M recipe
    queued = client.post(exports_url(version), {"qtypes": ["Q8_0", "Q4_K_M"], "format": "gguf"},
                         format="json")
    exports = {e.qtype: e for e in (services.model_export_run(export_id=item["id"])
                                    for item in queued.json())}

    # then both are ready GGUF files whose report says what was measured on which file
    assert queued.status_code == 202
    assert [item["format"] for item in queued.json()] == ["gguf", "gguf"]
    assert all(e.status == "ready" for e in exports.values()), [e.error for e in exports.values()]
    report = exports["Q4_K_M"].report
    assert report["measured_on"] == "sou" and "Q4_K_M .sou" in report["note"]
    assert report["size_bytes"] == exports["Q4_K_M"].size_bytes
    assert report["sou_size_bytes"] > 0 and report["tokens_per_s"] > 0
    assert "perplexity_delta_pct" in report and report["gguf_arch"] == "gpt2"
    download = client.get(f"/api/v1/model-exports/{exports['Q8_0'].pk}/download/")
    assert download["Content-Disposition"].endswith('-Q8_0.gguf"')
    assert b"".join(download.streaming_content)[:4] == b"GGUF"
    path = storage.export_file(owner.pk, version.pk, "Q8_0", "gguf")
    assert GGUFReader(path).fields["general.architecture"].contents() == "gpt2"
    assert sorted(p.name for p in path.parent.iterdir()) == ["Q4_K_M.gguf", "Q8_0.gguf"]
    # and chat still runs the version's own .sou: a GGUF export is a download only
    assert selectors.version_sou_path(version) == storage.canonical_sou(owner.pk, version.pk)


def test_k_quant_sou_export_reports_quality(owner, api_client_for):
    # given a ready version
    version = ready_version(owner)

    # when it is exported as .sou at Q6_K (the default format)
    queued = api_client_for(owner).post(exports_url(version), {"qtypes": ["Q6_K"]}, format="json")
    export = services.model_export_run(export_id=queued.json()[0]["id"])

    # then the report covers it like any other type
    assert export.status == "ready", export.error
    assert export.format == "sou"
    assert export.report["size_bytes"] < export.report["f32_size_bytes"]
    assert export.report["tokens_per_s"] > 0 and "perplexity_delta_pct" in export.report


def test_one_type_exports_to_both_formats_side_by_side(owner, api_client_for):
    # given a version exported as a Q8_0 .sou
    client = api_client_for(owner)
    version = ready_version(owner)
    client.post(exports_url(version), {"qtypes": ["Q8_0"]}, format="json")

    # when the same type is asked for as GGUF
    response = client.post(exports_url(version), {"qtypes": ["Q8_0"], "format": "gguf"},
                           format="json")

    # then it is a second export, not the first one again
    assert response.status_code == 202
    assert sorted((e.qtype, e.format) for e in version.exports.all()) == [
        ("Q8_0", "gguf"), ("Q8_0", "sou")]


def test_another_user_can_neither_export_nor_download_a_gguf(owner, make_user, api_client_for):
    # given the owner's ready GGUF export
    version = ready_version(owner)
    (export,) = services.model_export_create(user=owner, version_id=version.pk, qtypes=["Q8_0"],
                                             export_format="gguf")
    services.model_export_run(export_id=export.pk)
    stranger = api_client_for(make_user())

    # when another user asks for a GGUF export of it, or for the file
    created = stranger.post(exports_url(version), {"qtypes": ["Q4_K_M"], "format": "gguf"},
                            format="json")
    downloaded = stranger.get(f"/api/v1/model-exports/{export.pk}/download/")

    # then neither exists for them
    assert (created.status_code, downloaded.status_code) == (404, 404)
    assert version.exports.count() == 1


def test_gguf_for_an_architecture_llama_cpp_cannot_take_is_a_400_naming_format(owner, api_client_for):
    # given a ready version whose model is of an architecture GGUF export does not cover
    version = ready_version(owner)
    canonical = storage.canonical_sou(owner.pk, version.pk)
    with read_sou(canonical) as sou:
        tokenizer_json = sou.tokenizer_json
    write_sou(canonical, config={"arch": "gptj", "n_layer": 1}, tensors={"w": torch.zeros(4, 4)},
              tokenizer_json=tokenizer_json, generation={}, provenance={})

    # when it is exported to GGUF, or to a format that does not exist
    gguf = api_client_for(owner).post(exports_url(version), {"qtypes": ["Q8_0"], "format": "gguf"},
                                      format="json")
    other = api_client_for(owner).post(exports_url(version), {"qtypes": ["Q8_0"], "format": "onnx"},
                                       format="json")

    # then both are refused on `format`, the first naming the architecture, and nothing queued
    assert (gguf.status_code, other.status_code) == (400, 400)
    assert "GGUF export not supported for gptj" in gguf.json()["error"]["fields"]["format"][0]
    assert "format" in other.json()["error"]["fields"]
    assert version.exports.count() == 0


def test_gguf_of_a_version_whose_file_is_missing_is_a_400_not_a_crash(owner, api_client_for):
    # given a ready version whose model file is gone from storage
    from apps.chat.tests.factories import model_version

    version = model_version(owner, name="gone", write_file=False)

    # when it is exported to GGUF
    response = api_client_for(owner).post(exports_url(version), {"qtypes": ["Q8_0"], "format": "gguf"},
                                          format="json")

    # then the answer names the version and nothing is queued
    assert response.status_code == 400
    assert "cannot be read" in response.json()["error"]["fields"]["version"][0]
    assert version.exports.count() == 0


@pytest.mark.parametrize(("tokenizer_json", "field"), [
    ("[]", "not a JSON object"),
    ('{"model": "BPE"}', "model is not an object"),
    ('{"model": {"type": "BPE", "vocab": ["a"]}}', "model.vocab"),
    ('{"model": {"type": "BPE", "vocab": {"a": 0}}, "added_tokens": [{"id": 1}]}', "added_tokens"),
])
def test_gguf_of_a_version_with_a_malformed_tokenizer_is_a_400_naming_it(tokenizer_json, field, owner,
                                                                        api_client_for):
    # given a ready version (as a .sou upload may make one) whose tokenizer JSON is not the expected shape
    version = ready_version(owner)
    canonical = storage.canonical_sou(owner.pk, version.pk)
    with read_sou(canonical) as sou:
        config, tensors = sou.config, {info.name: sou.tensor(info.name) for info in sou.tensor_infos}
    write_sou(canonical, config=config, tensors=tensors, tokenizer_json=tokenizer_json, generation={},
              provenance={})

    # when it is exported to GGUF
    response = api_client_for(owner).post(exports_url(version), {"qtypes": ["Q8_0"], "format": "gguf"},
                                          format="json")

    # then the answer is a 400 on format naming what is wrong, and nothing is queued
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]["format"][0]
    assert version.exports.count() == 0


def test_a_gguf_export_is_named_after_the_registered_model_and_version(owner):
    # given a ready version of the model "poet" (trained here: no base model recorded)
    version = ready_version(owner, name="poet")
    (export,) = services.model_export_create(user=owner, version_id=version.pk, qtypes=["Q8_0"],
                                             export_format="gguf")

    # when it is exported to GGUF
    services.model_export_run(export_id=export.pk)

    # then llama.cpp and Ollama show the model's name and version, not the quant type
    path = storage.export_file(owner.pk, version.pk, "Q8_0", "gguf")
    assert GGUFReader(path).fields["general.name"].contents() == f"poet-{version.version}"
