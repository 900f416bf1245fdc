"""A figure export makes no DNS lookup and sends nothing off the machine.

Proof by system-call trace: the export runs in a child process under `strace -f -yy`, which
annotates every socket with its protocol and peer. Kaleido's Chromium used to look up cdnjs
(MathJax) and Google's update hosts on every start (connect() to the resolver on port 53).
Chromium's network service still connect()s a UDP socket to a public IPv6 address at start-up:
that is a route probe (a UDP connect() sends no packet), so the test allows a UDP connect that
is never followed by a send, and fails on any DNS query, any TCP connection off the machine,
and any datagram or stream data sent to a non-loopback address.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sarcoma.report.exports import OFFLINE_CHROMIUM_FLAGS, find_browser

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
_PEER = re.compile(r'(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6?, "([^"]+)")')
_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
_SOCKET = re.compile(r"^\d+ +(\w+)\(\d+<(TCP|UDP)v?6?:\[(.*?)\]>")


def _loopback(address: str) -> bool:
    address = address.strip("[]")
    return address.startswith(("127.", "::1", "::ffff:127.")) or address in ("::", "0.0.0.0")


def outside_traffic(trace: str) -> list[str]:
    """Lines of an `strace -f -yy` log that reach beyond the machine (see module docstring)."""
    bad = []
    for line in trace.splitlines():
        call = line.split("(", 1)[0].split()[-1] if "(" in line else ""
        peers = [a or b for a, b in _PEER.findall(line)]
        ports = _PORT.findall(line)
        sock = _SOCKET.match(line)
        if call == "connect" and peers:
            if "53" in ports and not all(_loopback(p) for p in peers):
                bad.append(line)  # a DNS query to a resolver
            elif sock and sock.group(2) == "TCP" and not all(_loopback(p) for p in peers):
                bad.append(line)  # a TCP connection off the machine
        elif call in ("sendto", "sendmsg", "sendmmsg", "write", "writev"):
            remote = sock.group(3).split("->")[-1] if sock and "->" in sock.group(3) else ""
            if (remote and not _loopback(remote.rsplit(":", 1)[0])) or any(not _loopback(p) for p in peers):
                bad.append(line)  # data sent to an outside address
    return bad


def test_the_parser_catches_what_the_old_export_did():
    """Lines as strace printed them for the export before the offline flags (DNS to port 53)."""
    old = textwrap.dedent("""\
        14069 connect(18<UDP:[51234]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0
        14070 sendto(19<UDP:[10.0.0.2:5000->10.255.255.53:53]>, "\\x12\\x34", 2, 0, NULL, 0) = 2
        14071 connect(20<TCP:[51236]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("104.16.1.1")}, 16) = -1
        16287 connect(18<UDPv6:[28606]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), sin6_scope_id=0}, 28) = 0
        16288 connect(21<TCP:[51300]>, {sa_family=AF_INET, sin_port=htons(8501), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
        """)
    assert [line.split()[0] for line in outside_traffic(old)] == ["14069", "14070", "14071"]


def test_export_makes_no_dns_lookup_and_sends_nothing_outside(tmp_path):
    strace = shutil.which("strace")
    assert strace, "strace is needed for this test: apt-get install strace (make test installs it)"
    assert find_browser(), "Debian's chromium is needed: apt-get install chromium (make test installs it)"
    script = tmp_path / "export.py"
    script.write_text(textwrap.dedent("""\
        import time
        from sarcoma.km_summary import survival_by_group
        from sarcoma.ingest import load_cohort
        from sarcoma.plots import km_figure
        from sarcoma.report.exports import export_figure, stop_static_export
        cohort, _ = load_cohort("sample_data/sample_cohort.csv")
        res = survival_by_group(cohort, "PFS", "line_2")
        fig = km_figure(res.curves, at_risk=res.at_risk, title="PFS", annotation=res.test_label())
        for fmt in ("png", "svg", "pdf"):
            assert len(export_figure(fig, fmt)) > 1000
        time.sleep(3)  # Chromium's background networking would start within seconds
        stop_static_export()
        """))
    log = tmp_path / "trace.log"
    done = subprocess.run(
        [strace, "-f", "-qq", "-yy", "-e", "trace=connect,sendto,sendmsg,sendmmsg,write,writev", "-o", str(log),
         sys.executable, str(script)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    trace = log.read_text(errors="replace")
    assert "connect(" in trace, "strace recorded no socket calls: is ptrace allowed here?"
    assert outside_traffic(trace) == []


def test_offline_flags_are_on_the_command_line():
    from sarcoma.report.exports import _offline_chromium

    cls = _offline_chromium()
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in OFFLINE_CHROMIUM_FLAGS
    assert "--disable-background-networking" in OFFLINE_CHROMIUM_FLAGS
    assert cls.get_cli is not cls.__mro__[1].get_cli
