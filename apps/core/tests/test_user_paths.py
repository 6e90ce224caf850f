"""What users read of a server path in an error: only the last part, whatever the folders
around it are called (spaces included) and however the path is written (a file:// URL)."""

import pytest

from apps.core.user_paths import error_text, hide_server_paths

HOME_WITH_SPACE = "/home/John Smith/sloughgpt"


@pytest.fixture
def media_under_a_home_with_a_space(settings):
    settings.MEDIA_ROOT = f"{HOME_WITH_SPACE}/var/media"
    settings.VAR_DIR = f"{HOME_WITH_SPACE}/var"
    settings.BASE_DIR = HOME_WITH_SPACE
    return settings.MEDIA_ROOT


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("cannot read {media}/training/4/9/x.json: bad", "cannot read x.json: bad"),
        ("'{media}/datasets/4/30/My Poems.jsonl' line 3", "'My Poems.jsonl' line 3"),
        ("see file://{media}/a/b for details", "see b for details"),
        ("nothing in {media}", "nothing in media"),
        ("config at {base}/sloughgpt_site/x.toml", "config at x.toml"),
    ],
)
def test_a_server_folder_with_a_space_does_not_leak(media_under_a_home_with_a_space, message, shown):
    # given an error that names a file under the server's folders
    text = message.format(media=media_under_a_home_with_a_space, base=HOME_WITH_SPACE)
    # when it is shown to a user
    # then only the file's own name is left
    assert hide_server_paths(text) == shown
    assert "John" not in hide_server_paths(text)


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("file:///srv/app/var/media/a/b", "b"),
        ("open FILE://localhost/etc/passwd failed", "open passwd failed"),
        ("No such file: '/srv/data/4/notes.txt'", "No such file: 'notes.txt'"),
    ],
)
def test_any_other_absolute_path_or_file_url_is_cut_to_its_last_part(message, shown):
    assert hide_server_paths(message) == shown


@pytest.mark.parametrize("message", ["see https://example.com/docs/a/b", "inner/data.txt line 2"])
def test_web_urls_and_the_users_own_relative_names_are_kept(message):
    assert hide_server_paths(message) == message


def test_a_path_the_caller_knows_is_named_as_the_user_knows_it(media_under_a_home_with_a_space):
    # given a data file the user uploaded as poems.txt, and a run's folder
    data = f"{media_under_a_home_with_a_space}/datasets/4/30/poems.txt"
    run_dir = f"{media_under_a_home_with_a_space}/training/4/9/"
    error = OSError(f"cannot read {data}, resuming from {run_dir}last")
    # when
    shown = error_text(error, known={data: "poems.txt", run_dir: ""})
    # then
    assert shown == "OSError: cannot read poems.txt, resuming from last"
