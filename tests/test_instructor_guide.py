"""notebooks/instructor-guide.ipynb runs top to bottom in a kernel of a real
Jupyter server, as an instructor, with students in the classroom."""

from __future__ import annotations

from pathlib import Path

import nbformat

from jupyter_classroom import protocol

from .harness.servers import JupyterProcess
from .test_client import Kernel, server, start_kernel, student, wait_for  # noqa: F401 (server: a fixture)

GUIDE = Path(__file__).parent.parent / "notebooks" / "instructor-guide.ipynb"


def test_the_instructor_guide_runs_top_to_bottom(server: JupyterProcess) -> None:  # noqa: F811
    ann, ben = student(server, "ann"), student(server, "ben")
    client = start_kernel(server)
    try:
        kernel = Kernel(client)
        ann.send(protocol.SetPresence(hand=True, mic=True))
        ben.send(protocol.SetPresence(hand=True))
        outputs = []
        for cell in nbformat.read(GUIDE, as_version=4).cells:
            if cell.cell_type == "code":
                # Kernel.run raises with the traceback when a cell fails.
                outputs.append(kernel.run(cell.source))
        # What the guide did, as the students see it: hands lowered, muted,
        # locks undone, brought to the stage, the announcement cleared.
        wait_for(lambda: ann.me["hand"] is False and ben.me["hand"] is False, "hands lowered")
        wait_for(lambda: ann.me["mic"] is False, "Ann muted")
        assert ann.locks == {"mic": False, "camera": False, "screen": False, "chat": False}
        wait_for(
            lambda: ann.me["room"] == "stage" and ben.me["room"] == "stage",
            "everyone on the stage",
        )
        assert ann.announcement is None
        assert ann.breakout is None
        # No Classroom panel is open for this user: the broadcast cell says so and goes on.
        assert any("Not broadcasting" in out for out in outputs)
    finally:
        client.stop_channels()
        ann.close()
        ben.close()
