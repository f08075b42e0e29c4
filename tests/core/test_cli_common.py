"""The one Ctrl+C rule of every long subcommand: the first asks the job to stop, the second aborts."""
import os
import signal

import pytest

from core.cli.common import stop_on_first_ctrl_c


def test_first_ctrl_c_stops_second_aborts_and_handler_is_restored(capsys):
    before = signal.getsignal(signal.SIGINT)
    stops = []
    with pytest.raises(KeyboardInterrupt):
        with stop_on_first_ctrl_c("stopping", lambda: stops.append(1)):
            os.kill(os.getpid(), signal.SIGINT)
            assert stops == [1]
            os.kill(os.getpid(), signal.SIGINT)
    assert "stopping" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is before
