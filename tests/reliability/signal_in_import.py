"""Runs the CLI (argv[1], then its arguments) as ``__main__`` and sends this
process SIGINT at the moment the module named first in
``SIGNAL_IN_IMPORT_OF=<module>:<inner>`` imports ``<inner>``: a Ctrl-C in
that millisecond, made exact. Prints ``SIGNAL SENT`` on stderr when it did."""

import os
import runpy
import signal
import sys

outer, inner = os.environ["SIGNAL_IN_IMPORT_OF"].split(":")


class Trap:
    armed = False

    def find_spec(self, name, path=None, target=None):
        if name == outer:
            Trap.armed = True
        elif Trap.armed and name == inner:
            sys.meta_path.remove(self)
            sys.stderr.write("SIGNAL SENT\n")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGINT)  # its handler runs at the next bytecode boundary
        return None


sys.meta_path.insert(0, Trap())
cli = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(cli, run_name="__main__")
