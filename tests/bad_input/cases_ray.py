"""Bad-input cases of the Ray executor's options (issue 18, items 6 and 7): ``generate --executor
ray --address X`` with an address of no accepted form, the README's ray:// form without the Ray
client, and addresses nobody answers at, each refused with one line before anything is written
(generator/ray_cluster.py, checked by generator.executors.ExecutorOptions.checked)."""
from __future__ import annotations

from pathlib import Path

from tests.bad_input.harness import case

#: An address whose port nothing on this machine listens on (port 1, tcpmux, is never served here).
REFUSED = "127.0.0.1:1"
#: A host name that never resolves (RFC 2606 reserves .invalid).
UNRESOLVABLE = "no-such-head.invalid:6379"


def generate_on_ray(address: str):
    """The make function of a case: a one-frame quick generate into a new folder on Ray at ``address``."""
    def make(sandbox: Path) -> list[str]:
        return ["generate", "camera_pitch", "--quick", "--limit", "1", "--out", str(sandbox / "new-set"),
                "--executor", "ray", "--address", address]
    return make


for _name, _address, _fragment in (
        ("a word for an address", "nonsense", "not a Ray address"),
        ("an empty address", "", "not a Ray address"),
        ("a port above 65535", "head:99999", "not a Ray address"),
        ("port 0", "head:0", "not a Ray address"),
        ("ray:// without a port", "ray://head", "not a Ray address"),
        ("the dashboard's http URL", "http://head:8265", "not a Ray address"),
        ("a space in the host", "my head:6379", "not a Ray address"),
        # without ray[client]: how to install it; with it: nothing answers (the form is accepted)
        ("the README's ray:// form", "ray://head:10001", "--address ray://head:10001: "),
        ("ray:// where nothing answers", f"ray://{REFUSED}", f"--address ray://{REFUSED}: "),
        ("an address nothing answers at", REFUSED, "no Ray cluster answers there"),
        ("a host name that does not resolve", UNRESOLVABLE, "no Ray cluster answers there")):
    case("ray", _name, _fragment)(generate_on_ray(_address))
