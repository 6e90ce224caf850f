"""Personality archives (the portal's download) load from the zip or its folder; a hostile
zip is refused naming its entry, and nothing is written outside the temporary folder."""

import json
import zipfile

import pytest

from ml.personality import ConfigPersonality, PersonalityError, load_personality


def _archive(path, entries: dict[str, str]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return path


def test_a_config_personality_loads_from_its_zip_and_its_folder(tmp_path):
    # given
    sage = ConfigPersonality.from_archetype("sage")
    spec = json.dumps(sage.to_dict())
    zipped = _archive(tmp_path / "sage.zip", {"personality.json": spec})
    folder = tmp_path / "sage"
    folder.mkdir()
    (folder / "personality.json").write_text(spec)
    # when / then
    for path in (zipped, folder):
        assert load_personality(path).system_prompt() == sage.system_prompt()


@pytest.mark.parametrize("name", ["../evil.json", "/etc/evil.json", "sub/space.json", "notes.txt", ".hidden.json"])
def test_an_unsafe_entry_is_refused_by_name(tmp_path, name):
    # given
    sage = json.dumps(ConfigPersonality.from_archetype("sage").to_dict())
    path = _archive(tmp_path / "bad.zip", {"personality.json": sage, name: "{}"})
    # when
    with pytest.raises(PersonalityError) as refused:
        load_personality(path)
    # then
    assert repr(name) in str(refused.value)
    assert not (tmp_path / "evil.json").exists()
