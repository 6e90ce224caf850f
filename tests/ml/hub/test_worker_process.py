"""A hub pull in a process that already embedded text (as a worker that ran a retrieval or
personality task has): loading the bundled embedding model must not switch the process
offline for the hub."""

import subprocess
import sys

from tests.hub_stand_in import StandInRepo, hub_stand_in

SCRIPT = """
import sys
from ml.personality.embeddings import embed
embed(["a sentence first"], device="cpu")
from ml.hub import RepoSpec, inspect_repo
print(inspect_repo(RepoSpec("acme/tiny-llama", endpoint=sys.argv[1])).architecture)
"""


def test_a_process_that_embedded_text_can_still_pull_from_the_hub(llama_repo_dir):
    # given the hub serving a tiny LLaMA repo
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        # when a fresh process embeds text and then inspects the repo
        done = subprocess.run([sys.executable, "-c", SCRIPT, hub.endpoint], capture_output=True, text=True,
                              timeout=300)
    # then the inspection reached the hub
    assert done.returncode == 0, done.stderr[-2000:]
    assert "llama" in done.stdout
